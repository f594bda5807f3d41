"""Counting every document once (scoring/counts.py) fits and transforms exactly as scikit-learn's
TfidfVectorizer does: the same vocabulary, IDF and rows, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from scoring import counts as counts_module
from scoring.counts import count_char_ngrams, count_terms, fit_from_counts, tfidf_rows
from scoring.engine import _plain_text
from scoring.features import make_char_vectorizer, make_word_vectorizer

# Edge cases of sklearn's char_wb analyser: case folding that changes length (İ), runs of mixed
# whitespace, one-letter words, empty and blank documents, a lone surrogate, NUL inside a word.
ODD_TEXTS = ["Hello  World\tİstanbul ÅB\u00a0x", "a", "", " \n ", "\ud800x y", "ab\x00c 日本 AI", "ＡＩ 全角"]


def _identical(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)  # exact, not approximately


@pytest.mark.parametrize("max_df", [1.0, 0.05, 3])
def test_char_ngram_counts_fit_and_transform_like_sklearn(demo_challenges, demo_technologies, max_df) -> None:
    texts = [_plain_text(d) for d in [*demo_challenges, *demo_technologies]] + ODD_TEXTS
    split = len(demo_challenges)
    reference = make_char_vectorizer(np.float64, max_df).fit(texts)

    vectorizer = make_char_vectorizer(np.float64, max_df)
    counts = count_char_ngrams(vectorizer, texts)
    vectorizer, kept = fit_from_counts(vectorizer, counts)

    assert vectorizer.vocabulary_ == reference.vocabulary_
    assert np.array_equal(vectorizer.idf_, reference.idf_)
    _identical(tfidf_rows(vectorizer, counts, kept, slice(0, split)), reference.transform(texts[:split]).tocsr())
    _identical(tfidf_rows(vectorizer, counts, kept, slice(split, None)), reference.transform(texts[split:]).tocsr())
    # The fitted vectorizer is a working one: later documents (upserts, queries) go through sklearn.
    _identical(vectorizer.transform(ODD_TEXTS).tocsr(), reference.transform(ODD_TEXTS).tocsr())
    if max_df != 1.0:
        assert len(kept) < len(counts.vocabulary)  # pruning really happened


def test_term_counts_fit_and_transform_like_sklearn(engine) -> None:
    term_lists = [engine.tokens(side, d.id).terms for side, docs in
                  (("challenge", engine.live_challenges()), ("technology", engine.live_technologies())) for d in docs]
    term_lists += [(), ("",), ("同じ", "同じ", "同じ")]
    reference = make_word_vectorizer(np.float64).fit(term_lists)

    vectorizer, kept = fit_from_counts(make_word_vectorizer(np.float64), counts := count_terms(term_lists))

    assert vectorizer.vocabulary_ == reference.vocabulary_
    assert np.array_equal(vectorizer.idf_, reference.idf_)
    _identical(tfidf_rows(vectorizer, counts, kept, slice(0, 40)), reference.transform(term_lists[:40]).tocsr())
    _identical(tfidf_rows(vectorizer, counts, kept, slice(40, None)), reference.transform(term_lists[40:]).tocsr())


def test_nothing_to_count_fails_as_sklearn_does() -> None:
    vectorizer = make_char_vectorizer(np.float64)
    with pytest.raises(ValueError, match="empty vocabulary"):
        fit_from_counts(vectorizer, count_char_ngrams(vectorizer, ["", "   "]))
    with pytest.raises(ValueError, match="empty vocabulary"):
        make_char_vectorizer(np.float64).fit(["", "   "])


def test_char_ngrams_too_many_for_one_key_are_counted_the_other_way(demo_technologies, monkeypatch) -> None:
    texts = [_plain_text(d) for d in demo_technologies] + ODD_TEXTS
    reference = make_char_vectorizer(np.float64).fit(texts)
    monkeypatch.setattr(counts_module, "_KEY_BITS", 8)  # as if the corpus had a huge alphabet

    vectorizer = make_char_vectorizer(np.float64)
    counts = count_char_ngrams(vectorizer, texts)
    vectorizer, kept = fit_from_counts(vectorizer, counts)

    assert vectorizer.vocabulary_ == reference.vocabulary_
    _identical(tfidf_rows(vectorizer, counts, kept, slice(0, None)), reference.transform(texts).tocsr())
