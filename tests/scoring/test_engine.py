import math

import pytest

from scoring import ChallengeDoc, DuplicateDocumentId, MatchEngine, TechnologyDoc, formula
from scoring.explain import explain


def _ranking(engine: MatchEngine, challenge_ids) -> dict[str, list[tuple[str, float]]]:
    return {c: [(m.id, round(m.score, 9)) for m in engine.technologies_for(c)] for c in challenge_ids}


def _reverse_ranking(engine: MatchEngine, technology_ids) -> dict[str, list[tuple[str, float]]]:
    return {t: [(m.id, round(m.score, 9)) for m in engine.challenges_for(t)] for t in technology_ids}


def test_rankings_are_best_first_and_positive(engine, demo_challenges) -> None:
    matches = engine.technologies_for(demo_challenges[0].id)

    scores = [m.score for m in matches]
    assert len(matches) == 10
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_fitting_twice_gives_identical_results(analyzer, demo_challenges, demo_technologies) -> None:
    first = MatchEngine(analyzer).fit(demo_challenges, demo_technologies)
    second = MatchEngine(analyzer).fit(list(reversed(demo_challenges)), demo_technologies)

    ids = [c.id for c in demo_challenges]
    assert _ranking(first, ids) == _ranking(second, ids)


def test_score_is_text_plus_additive_priors(engine) -> None:
    explanation = explain(engine, "c003", "t009")

    assert math.isclose(explanation.score, engine.score("c003", "t009"), rel_tol=1e-12)
    assert explanation.field > 0
    assert math.isclose(explanation.score, formula.score(explanation.text, explanation.field, explanation.evidence,
                                                         engine.field_weight, engine.evidence_weight), rel_tol=1e-12)


def test_field_agreement_and_track_record_raise_the_score_of_the_same_text() -> None:
    text = "高齢者の見守りサービスで安否確認を行う"
    challenge = ChallengeDoc("c", "高齢者の見守り", text, fields=("elderly",), region="北大阪")
    bare = TechnologyDoc("bare", "見守り", text)
    fielded = TechnologyDoc("fielded", "見守り", text, fields=("elderly",))
    proven = TechnologyDoc("proven", "見守り", text, fields=("elderly",), maturity="in_service",
                           deployed_in=("豊中市",), deployed_regions=("北大阪",))

    engine = MatchEngine(field_weight=0.1, evidence_weight=0.02).fit([challenge], [bare, fielded, proven])

    assert [m.id for m in engine.technologies_for("c")] == ["proven", "fielded", "bare"]
    assert math.isclose(engine.score("c", "fielded") - engine.score("c", "bare"), 0.1)
    assert math.isclose(engine.score("c", "proven") - engine.score("c", "fielded"), 0.02 * 1.0)


def test_a_secondary_field_counts_less_than_the_main_one() -> None:
    text = "高齢者の見守りサービスで安否確認を行う"
    challenge = ChallengeDoc("c", "高齢者の見守り", text, fields=("elderly",))
    main = TechnologyDoc("main", "見守り", text, fields=("elderly", "health"))
    secondary = TechnologyDoc("secondary", "見守り", text, fields=("health", "elderly"))

    engine = MatchEngine(field_weight=0.1, evidence_weight=0.0, secondary_field_cover=0.5).fit(
        [challenge], [main, secondary])

    assert math.isclose(engine.score("c", "main") - engine.score("c", "secondary"), 0.1 * 0.5)


def test_no_shared_words_means_no_match_however_mature() -> None:
    challenge = ChallengeDoc("c", "ごみ収集の効率化", "収集車のルート", fields=("environment",))
    unrelated = TechnologyDoc("t", "観光案内", "多言語の観光案内", fields=("environment",), maturity="in_service",
                              deployed_in=("堺市",))

    related = TechnologyDoc("r", "ごみ収集車のルート最適化", "収集車のルートを短くする")

    engine = MatchEngine().fit([challenge], [unrelated, related])

    assert [m.id for m in engine.technologies_for("c")] == ["r"]
    assert engine.challenges_for("t") == []
    assert engine.score("c", "t") == 0.0
    assert [m.id for m in engine.rank_technologies(challenge)] == ["r"]
    explanation = explain(engine, "c", "t")
    assert explanation.score == 0 and explanation.reasons() == []


def test_field_mates_without_shared_text_never_crowd_out_text_matches() -> None:
    """All pairs: when the top-k by full score is filled by field-only pairs, the row is refilled
    with the text matches behind them (the field-only ones are no matches)."""
    challenge = ChallengeDoc("c", "ごみ収集の効率化", "収集車のルート", fields=("environment",))
    mates = [TechnologyDoc(f"m{i}", "観光案内", "多言語の観光案内", fields=("environment",), maturity="in_service")
             for i in range(5)]
    weak = TechnologyDoc("w", "配送ルート", "トラックのルート計画", fields=("mobility",))

    engine = MatchEngine(top_k=3, field_weight=0.2).fit([challenge], [*mates, weak])

    assert [m.id for m in engine.technologies_for("c")] == ["w"]
    engine.upsert_technology(TechnologyDoc("m9", "観光案内", "多言語の観光案内", fields=("environment",)))
    engine.remove_technology("m0")
    assert [m.id for m in engine.technologies_for("c")] == ["w"]


def test_listed_reasons_are_really_shared_and_shares_sum_to_one(engine, demo_challenges, demo_technologies) -> None:
    challenge_terms = set(engine.tokens("challenge", "c003").terms)
    technology_terms = set(engine.tokens("technology", "t009").terms)

    explanation = explain(engine, "c003", "t009")

    assert explanation.terms
    assert all(r.term in challenge_terms and r.term in technology_terms for r in explanation.terms)
    total = (sum(r.share for r in explanation.terms) + explanation.other_terms_share + explanation.wording_share
             + explanation.field_share + explanation.evidence_share)
    assert math.isclose(total, 1.0, rel_tol=1e-9)
    assert [r.share for r in explanation.terms] == sorted((r.share for r in explanation.terms), reverse=True)


def test_reasons_quote_each_sides_own_words(engine) -> None:
    explanation = explain(engine, "c003", "t009", max_terms=50)

    watch = next(r for r in explanation.terms if r.term == "見守り")
    assert (watch.challenge_word, watch.technology_word) == ("異変", "見守り")


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(DuplicateDocumentId):
        MatchEngine().fit([ChallengeDoc("a", "x"), ChallengeDoc("a", "y")], [])


def test_unstored_query_ranks_without_changing_anything(engine) -> None:
    before = _ranking(engine, ["c001", "c002"])

    matches = engine.rank_technologies(ChallengeDoc("new", "認知症の方の行方不明", "GPSで居場所を探したい"))

    assert matches[0].id == "t011"
    assert _ranking(engine, ["c001", "c002"]) == before


def test_single_document_vectors_equal_scikit_learns(engine) -> None:
    from scoring.features import _word_vectors_few

    term_lists = [engine.tokens("technology", t.id).terms for t in engine.live_technologies()[:5]] + [("未知語",)]

    mine = _word_vectors_few(engine.word_vectorizer_, term_lists).toarray()
    theirs = engine.word_vectorizer_.transform(term_lists).toarray()

    assert abs(mine - theirs).max() < 1e-12
