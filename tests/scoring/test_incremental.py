"""Incremental updates must give exactly the top-k a full recomputation gives."""

import dataclasses

import pytest

from scoring import ChallengeDoc, MatchEngine, TechnologyDoc


def _all(engine: MatchEngine) -> tuple[dict, dict]:
    forward = {c.id: [(m.id, round(m.score, 9)) for m in engine.technologies_for(c.id)] for c in engine.live_challenges()}
    backward = {t.id: [(m.id, round(m.score, 9)) for m in engine.challenges_for(t.id)]
                for t in engine.live_technologies()}
    return forward, backward


def _recomputed(engine: MatchEngine) -> tuple[dict, dict]:
    """Same frozen vocabulary and IDF, every list computed from scratch."""
    fresh = MatchEngine(engine.analyzer_, top_k=engine.top_k)
    for name in ("analyzer_", "token_cache_", "word_vectorizer_", "compound_vectorizer_", "char_vectorizer_", "layout_", "saturations_"):
        setattr(fresh, name, getattr(engine, name))
    fresh._set_sides(engine.live_challenges(), engine.live_technologies())
    fresh._compute_all_top_k()
    return _all(fresh)


@pytest.fixture
def base_engine(analyzer, demo_challenges, demo_technologies) -> MatchEngine:
    return MatchEngine(analyzer, top_k=5).fit(demo_challenges[:40], demo_technologies[:120])


def test_adding_documents_equals_recomputing(base_engine, demo_challenges, demo_technologies) -> None:
    for technology in demo_technologies[120:]:
        base_engine.upsert_technology(technology)
    for challenge in demo_challenges[40:]:
        base_engine.upsert_challenge(challenge)

    assert _all(base_engine) == _recomputed(base_engine)


def test_editing_a_top_ranked_technology_equals_recomputing(base_engine, demo_technologies) -> None:
    popular = demo_technologies[8]  # t009, the elderly monitoring service, top for several issues
    base_engine.upsert_technology(dataclasses.replace(popular, title="ドローン測量", description="ドローンで地形を測量する",
                                                      fields=("data",)))

    assert all(m.id != popular.id for m in base_engine.technologies_for("c003"))
    assert _all(base_engine) == _recomputed(base_engine)


def test_removing_documents_equals_recomputing(base_engine, demo_challenges, demo_technologies) -> None:
    base_engine.remove_technology("t013")
    base_engine.remove_technology("t009")
    base_engine.remove_challenge("c005")

    forward, backward = _all(base_engine)
    assert "c005" not in forward
    assert all("t009" != tech for ranked in forward.values() for tech, _ in ranked)
    assert (forward, backward) == _recomputed(base_engine)


def test_an_edit_that_keeps_the_text_reuses_cached_tokens(base_engine, demo_technologies) -> None:
    original = demo_technologies[0]
    cached = base_engine.tokens("technology", original.id)

    base_engine.upsert_technology(dataclasses.replace(original, maturity="concept"))

    assert base_engine.tokens("technology", original.id) is cached


def test_refit_is_needed_after_enough_changes_and_reuses_tokens(analyzer, demo_challenges, demo_technologies) -> None:
    engine = MatchEngine(analyzer, refit_growth=0.05).fit(demo_challenges[:10], demo_technologies[:50])
    for technology in demo_technologies[50:60]:
        engine.upsert_technology(technology)
    cached = engine.tokens("technology", demo_technologies[55].id)

    assert engine.needs_refit()
    engine.refit()

    assert not engine.needs_refit()
    assert engine.tokens("technology", demo_technologies[55].id) is cached
    assert len(engine.live_technologies()) == 60


def test_many_upserts_across_the_delta_merge_stay_exact(analyzer) -> None:
    topics = ["安否確認と移動支援", "認知症の見守り", "高齢者の買い物", "介護施設の夜勤", "通院の送迎"]
    engine = MatchEngine(analyzer, top_k=3).fit(
        [ChallengeDoc(f"c{i}", "高齢者の見守り", topic) for i, topic in enumerate(topics)],
        [TechnologyDoc("seed", "見守りセンサー", "高齢者の安否確認")],
    )
    from scoring.engine import _Side

    _Side._DELTA_LIMIT, limit = 4, _Side._DELTA_LIMIT
    try:
        for i in range(12):
            engine.upsert_technology(TechnologyDoc(f"t{i}", "見守り", "高齢者" * (i + 1) + topics[i % 5]))
    finally:
        _Side._DELTA_LIMIT = limit

    assert _all(engine) == _recomputed(engine)
