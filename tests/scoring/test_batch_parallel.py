"""The batch path on every core gives what one process and the full engine give: the same lines,
the same top-20 sets, the same reasons, in input order."""

from __future__ import annotations

import io

import pytest

from scoring import MatchEngine, batch
from scoring.explain import explain


def _reference(challenges, technologies, top: int) -> list[dict]:
    """Today's engine, both directions fitted, explained pair by pair."""
    engine = MatchEngine(top_k=top).fit(challenges, technologies)
    return [{"challenge": c.id, "matches": [
        {"technology": m.id, "score": round(m.score, 4), "reasons": explain(engine, c.id, m.id).reasons()}
        for m in engine.technologies_for(c.id)]} for c in challenges]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_batch_rank_equals_the_full_engine_in_one_process_and_on_two(demo_challenges, demo_technologies,
                                                                      monkeypatch, n_jobs) -> None:
    monkeypatch.setattr(batch, "_PARALLEL_FROM", 0)  # the pool even for the demo's few challenges
    monkeypatch.setattr(batch, "_CHUNK", 7)  # several chunks, so order across workers matters

    results = list(batch.rank(demo_challenges, demo_technologies, 20, n_jobs=n_jobs))

    assert [r["challenge"] for r in results] == [c.id for c in demo_challenges]
    assert sum(len(r["matches"]) for r in results) > 500
    assert results == _reference(demo_challenges, demo_technologies, 20)


def test_an_engine_fitted_one_way_ranks_challenges_alike_and_technologies_not_at_all(
        demo_challenges, demo_technologies) -> None:
    one_way = MatchEngine(top_k=20).fit(demo_challenges, demo_technologies, both_directions=False)
    both = MatchEngine(top_k=20).fit(demo_challenges, demo_technologies)

    for challenge in demo_challenges:
        assert one_way.technologies_for(challenge.id) == both.technologies_for(challenge.id)
    assert all(one_way.challenges_for(t.id) == [] for t in demo_technologies)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_json_lines_encoded_in_the_workers_are_the_reference_lines(demo_challenges, demo_technologies,
                                                                  monkeypatch, n_jobs) -> None:
    monkeypatch.setattr(batch, "_PARALLEL_FROM", 0)
    monkeypatch.setattr(batch, "_CHUNK", 7)

    lines = list(batch.rank_jsonl(demo_challenges, demo_technologies, 20, n_jobs=n_jobs))

    expected = io.StringIO()
    batch.write_jsonl(_reference(demo_challenges, demo_technologies, 20), expected)
    assert "".join(lines) == expected.getvalue()
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)


@pytest.mark.parametrize("collecting", [True, False])
def test_the_batch_leaves_the_garbage_collector_as_it_found_it(demo_challenges, demo_technologies,
                                                               collecting) -> None:
    import gc

    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        results = batch.rank(demo_challenges[:3], demo_technologies, 5, n_jobs=1)
        next(results)
        assert gc.get_freeze_count() > 0  # the fit's objects are frozen meanwhile
        list(results)
        assert gc.isenabled() == collecting
        assert gc.get_freeze_count() == 0
    finally:
        (gc.enable if was else gc.disable)()
