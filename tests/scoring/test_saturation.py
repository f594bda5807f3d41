"""BM25 on the catalogue side (features.Saturation): the formula, its counts, and one exact score."""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

from scoring import MatchEngine
from scoring.features import Saturation, block_counts, make_char_vectorizer, make_word_vectorizer


def test_weights_follow_bm25_with_a_frozen_average_length_and_scale() -> None:
    counts = sp.csr_matrix(np.array([[1.0, 0.0, 4.0], [1.0, 1.0, 0.0]]))
    idf = np.array([1.0, 2.0, 3.0])
    saturation = Saturation(k1=1.2, b=0.5).fit(counts, idf)
    assert saturation.average_length_ == 3.5  # (5 + 2) / 2

    def weight(tf: float, length: float, term_idf: float) -> float:
        return term_idf * tf * 2.2 / (tf + 1.2 * (0.5 + 0.5 * length / 3.5))

    raw = np.array([[weight(1, 5, 1), 0.0, weight(4, 5, 3)], [weight(1, 2, 1), weight(1, 2, 2), 0.0]])
    assert np.isclose(saturation.scale_, np.linalg.norm(raw, axis=1).mean())
    assert np.allclose(saturation.rows(counts, idf).toarray(), raw / saturation.scale_)
    # A new entry is weighted with what the fit learned, not with its own statistics.
    alone = saturation.rows(sp.csr_matrix(np.array([[0.0, 0.0, 4.0]])), idf).toarray()
    assert np.isclose(alone[0, 2], weight(4, 4, 3) / saturation.scale_)


def test_repeats_saturate_and_long_entries_are_normalised_only_in_part() -> None:
    idf = np.ones(2)
    short_once = sp.csr_matrix(np.array([[1.0, 1.0]]))
    saturation = Saturation(k1=1.2, b=0.25).fit(short_once, idf)
    once, four_times = (saturation.rows(sp.csr_matrix(np.array([[tf, 1.0]])), idf)[0, 0] for tf in (1.0, 4.0))
    assert once < four_times < 2 * once
    partial, full = (Saturation(k1=1.2, b=b).fit(short_once, idf) for b in (0.25, 1.0))
    longer = sp.csr_matrix(np.array([[1.0, 7.0]]))
    assert partial.rows(longer, idf)[0, 0] > full.rows(longer, idf)[0, 0]


def test_block_counts_are_the_vectorizers_own_counts() -> None:
    texts = ["見守りセンサーで見守り", "Smart sensors, smart city", "未知"]
    chars = make_char_vectorizer(np.float64).fit(texts[:2])
    reference = CountVectorizer(analyzer="char_wb", ngram_range=(2, 3), vocabulary=chars.vocabulary_).transform(texts)
    assert (block_counts(chars, texts, are_terms=False) != reference).nnz == 0
    words = make_word_vectorizer(np.float64).fit([["見守り", "センサー"], ["smart"]])
    lists = [["見守り", "見守り", "未知"], []]
    reference = CountVectorizer(analyzer=lambda terms: terms, vocabulary=words.vocabulary_).transform(lists)
    assert (block_counts(words, lists, are_terms=True) != reference).nnz == 0
    assert block_counts(words, lists, are_terms=True)[0, words.vocabulary_["見守り"]] == 2


def test_the_score_is_one_dot_product_of_a_cosine_row_and_a_bm25_row(analyzer, demo_challenges, demo_technologies) -> None:
    engine = MatchEngine(analyzer, top_k=5, compound_weight=0.0, saturation_k1=1.2, saturation_b=0.25).fit(demo_challenges, demo_technologies)
    cosine = MatchEngine(analyzer, top_k=5, compound_weight=0.0, saturation_k1=0.0).fit(demo_challenges, demo_technologies)
    width = engine.text_width_
    challenge_rows = engine.challenges_.expanded_main[:, :width]
    technology_rows = engine.technologies_.expanded_main[:, :width]
    # Challenges keep unit-length blocks (scaled by the text share); technologies do not.
    text_weight = engine.layout_.text_weight
    assert np.allclose(np.asarray(challenge_rows.multiply(challenge_rows).sum(axis=1)).ravel(), text_weight ** 2)
    assert not np.allclose(np.asarray(technology_rows.multiply(technology_rows).sum(axis=1)).ravel(), 1.0)
    assert (engine.challenges_.expanded_main != cosine.challenges_.expanded_main).nnz == 0
    challenge = demo_challenges[0]
    for match in engine.technologies_for(challenge.id):
        product = engine.expanded_vector("challenge", challenge.id) @ engine.expanded_vector("technology", match.id).T
        assert np.isclose(match.score, product[0, 0], rtol=1e-12)
    assert [m.id for m in engine.technologies_for(challenge.id)] != [m.id for m in cosine.technologies_for(challenge.id)] or \
        [m.score for m in engine.technologies_for(challenge.id)] != [m.score for m in cosine.technologies_for(challenge.id)]
    # A posting is weighted with the fit's statistics, so it scores as if it had been fitted.
    posted = dataclasses.replace(demo_technologies[0], id="posted")
    engine.upsert_technology(posted)
    assert np.isclose(engine.score(challenge.id, "posted"), engine.score(challenge.id, demo_technologies[0].id), rtol=1e-12)
