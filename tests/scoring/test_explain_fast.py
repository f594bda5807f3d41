"""Explanations read from the CSR arrays (and cached) equal the sparse-product ones, field by field."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from scoring import ChallengeDoc, MatchEngine, TechnologyDoc, formula
from scoring.engine import CHALLENGE, TECHNOLOGY
from scoring.explain import Explanation, TermReason, _feature_names, _merge, _overlaps, explain


def reference_explain(engine: MatchEngine, challenge_id: str, technology_id: str, max_terms: int = 5) -> Explanation:
    """The implementation before explanations read the CSR arrays: scipy row slices and a sparse
    elementwise product per pair. Kept here as the reference the fast path must equal exactly."""
    challenge = engine.challenge(challenge_id)
    technology = engine.technology(technology_id)
    c = engine.expanded_vector(CHALLENGE, challenge_id)
    t = engine.expanded_vector(TECHNOLOGY, technology_id)
    full = c.multiply(t).tocsr()
    text_width = engine.text_width_
    is_text = full.indices < text_width
    product = sp.csr_matrix((full.data[is_text], full.indices[is_text], [0, int(is_text.sum())]),
                            shape=(1, text_width))
    text_part = float(product.sum())
    score = float(full.sum()) if text_part > 0 else 0.0
    layout = engine.layout_
    field_part = float(sum(v for i, v in zip(full.indices, full.data)
                           if i >= text_width and layout.is_field_column(int(i) - text_width))) if score else 0.0
    evidence_part = score - text_part - field_part if score else 0.0
    covers = formula.field_covers(technology.fields, engine.secondary_field_cover)
    same_region = bool(challenge.region) and challenge.region in set(technology.deployed_regions)
    names = _feature_names(engine)
    order = np.argsort(-product.data, kind="stable")
    c_surfaces = engine.tokens(CHALLENGE, challenge_id).surfaces
    t_surfaces = engine.tokens(TECHNOLOGY, technology_id).surfaces
    candidates, wording = [], 0.0
    word_columns = len(engine.word_vectorizer_.vocabulary_)
    for i in order:
        column = product.indices[i]
        share = float(product.data[i] / score) if score else 0.0
        if column >= len(names):
            wording += share
            continue
        term = str(names[column])
        candidates.append(TermReason(term, c_surfaces.get(term, term), t_surfaces.get(term, term), share,
                                     compound=bool(column >= word_columns)))
    merged: list[TermReason] = []
    for reason in sorted(candidates, key=lambda r: -(len(r.challenge_word) + len(r.technology_word))):
        overlapping = next((k for k, r in enumerate(merged) if _overlaps(r, reason)), None)
        if overlapping is None:
            merged.append(reason)
        else:
            merged[overlapping] = _merge(merged[overlapping], reason)
    merged.sort(key=lambda r: -r.share)
    terms = merged[:max_terms]
    listed = sum(r.share for r in terms)
    text_share = text_part / score if score else 0.0
    return Explanation(
        challenge_id=challenge_id, technology_id=technology_id, score=score, text=text_part / layout.text_weight,
        field=formula.field_agreement(challenge.fields, technology.fields, engine.secondary_field_cover),
        evidence=formula.evidence(technology.maturity, bool(technology.deployed_in), same_region), terms=tuple(terms),
        other_terms_share=max(text_share - listed - wording, 0.0), wording_share=wording,
        shared_fields=tuple(f for f in dict.fromkeys(challenge.fields) if covers.get(f)) if score else (),
        field_share=field_part / score if score else 0.0, maturity=technology.maturity,
        deployed_in=technology.deployed_in, deployed_in_same_region=same_region,
        evidence_share=evidence_part / score if score else 0.0,
    )


def _all_ranked_pairs(engine: MatchEngine) -> list[tuple[str, str]]:
    pairs = [(c.id, m.id) for c in engine.live_challenges() for m in engine.technologies_for(c.id)]
    pairs += [(m.id, t.id) for t in engine.live_technologies() for m in engine.challenges_for(t.id)]
    return pairs


def test_every_ranked_pair_is_explained_exactly_as_by_the_sparse_product(engine) -> None:
    pairs = _all_ranked_pairs(engine)
    assert len(pairs) > 500

    for challenge_id, technology_id in pairs:
        assert explain(engine, challenge_id, technology_id) == reference_explain(engine, challenge_id, technology_id)


def test_pairs_without_shared_text_and_with_every_term_listed_match_too(engine) -> None:
    challenge_ids = [c.id for c in engine.live_challenges()][:8]
    technology_ids = [t.id for t in engine.live_technologies()][::7]
    for challenge_id in challenge_ids:
        for technology_id in technology_ids:
            for max_terms in (5, 50):
                assert explain(engine, challenge_id, technology_id, max_terms) == \
                    reference_explain(engine, challenge_id, technology_id, max_terms)


def test_edited_documents_are_explained_from_their_new_version_not_a_cached_one(engine, demo_challenges) -> None:
    target = demo_challenges[2]
    top = engine.technologies_for(target.id)[0].id
    before = explain(engine, target.id, top)

    edited = ChallengeDoc(target.id, target.title, target.description + "\n介護施設の見守りセンサーと転倒検知",
                          fields=target.fields, municipality=target.municipality, region=target.region)
    engine.upsert_challenge(edited)
    engine.upsert_technology(TechnologyDoc("new-tech", "転倒検知センサー", "介護施設の見守りと転倒検知",
                                           fields=("elderly",), company="co-new"))

    after = explain(engine, target.id, top)
    assert after == reference_explain(engine, target.id, top)  # rows from the delta, not the fit
    assert after != before
    for challenge_id, technology_id in _all_ranked_pairs(engine):
        assert explain(engine, challenge_id, technology_id) == reference_explain(engine, challenge_id, technology_id)


def test_a_refit_of_the_same_engine_does_not_reuse_explanations_of_old_positions(engine) -> None:
    pairs = _all_ranked_pairs(engine)
    for challenge_id, technology_id in pairs:
        explain(engine, challenge_id, technology_id)
    engine.remove_challenge(engine.live_challenges()[0].id)  # every later position moves at the refit
    engine.refit()

    for challenge_id, technology_id in _all_ranked_pairs(engine):
        assert explain(engine, challenge_id, technology_id) == reference_explain(engine, challenge_id, technology_id)
