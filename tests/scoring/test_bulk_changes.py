"""Many changes applied at once (a worker catching up on the change feed) give the lists that
applying them one by one gives, and that recomputing every list from scratch gives."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from scoring import MatchEngine
from scoring.engine import DuplicateDocumentId, _Side
from scoring.persist import load, save

from .test_incremental import _recomputed


def _exact(engine: MatchEngine) -> tuple[dict, dict]:
    """Every list as ids in rank order and unrounded scores."""
    forward = {c.id: [(m.id, m.score) for m in engine.technologies_for(c.id)] for c in engine.live_challenges()}
    backward = {t.id: [(m.id, m.score) for m in engine.challenges_for(t.id)] for t in engine.live_technologies()}
    return forward, backward


def _assert_same(left: tuple[dict, dict], right: tuple[dict, dict]) -> None:
    """Same documents ranked in the same order; scores equal up to the summation order of one dot
    product (the one-by-one path and the batch path add the same terms in different orders)."""
    for one, other in zip(left, right):
        assert one.keys() == other.keys()
        for key in one:
            assert [i for i, _ in one[key]] == [i for i, _ in other[key]], key
            np.testing.assert_allclose([s for _, s in one[key]], [s for _, s in other[key]], rtol=0, atol=1e-12)


def _rounded(lists: tuple[dict, dict]) -> tuple[dict, dict]:
    return tuple({k: [(i, round(s, 9)) for i, s in v] for k, v in side.items()} for side in lists)  # type: ignore[return-value]


@pytest.fixture
def fitted(analyzer, demo_challenges, demo_technologies) -> MatchEngine:
    return MatchEngine(analyzer, top_k=5).fit(demo_challenges[:40], demo_technologies[:120])


def _events(demo_challenges, demo_technologies) -> list[tuple[str, str, Any]]:
    """A busy day in feed order: (side, id, the document after the change, or None when removed).
    New records, technologies held in many lists rewritten (words the fit never saw), one edited
    three times, removals on both sides, a challenge edited then removed, one removed then back."""
    popular = demo_technologies[8]
    events: list[tuple[str, str, Any]] = []
    for technology in demo_technologies[120:150]:
        events.append(("technology", technology.id, technology))
    for n in range(3):
        events.append(("technology", popular.id, dataclasses.replace(
            popular, description=popular.description + f" 量子暗号{n}とゼロトラスト網の改訂{n}")))
    for technology in demo_technologies[:20:3]:
        events.append(("technology", technology.id, dataclasses.replace(
            technology, title="ドローン測量", description="ドローンで山間部の地形を測量する", fields=("data",))))
    events.append(("technology", demo_technologies[12].id, None))
    events.append(("technology", demo_technologies[30].id, None))
    events.append(("technology", demo_technologies[30].id, demo_technologies[30]))
    for challenge in demo_challenges[40:50]:
        events.append(("challenge", challenge.id, challenge))
    edited = demo_challenges[2]
    events.append(("challenge", edited.id, dataclasses.replace(edited, description="バス停までの移動が難しい高齢者の通院")))
    events.append(("challenge", demo_challenges[4].id, dataclasses.replace(demo_challenges[4], fields=("tourism",))))
    events.append(("challenge", demo_challenges[4].id, None))
    events.append(("challenge", demo_challenges[7].id, None))
    return events


def _one_by_one(engine: MatchEngine, events: list[tuple[str, str, Any]]) -> None:
    for side, doc_id, doc in events:
        if side == "challenge":
            engine.upsert_challenge(doc) if doc is not None else engine.remove_challenge(doc_id)
        else:
            engine.upsert_technology(doc) if doc is not None else engine.remove_technology(doc_id)


def _in_one_batch(engine: MatchEngine, events: list[tuple[str, str, Any]]) -> None:
    """What the app does: each record's state after the last change, in one call."""
    final: dict[tuple[str, str], Any] = {}
    for side, doc_id, doc in events:
        final[(side, doc_id)] = doc
    engine.apply_changes(
        challenges=[d for (s, _), d in final.items() if s == "challenge" and d is not None],
        technologies=[d for (s, _), d in final.items() if s == "technology" and d is not None],
        removed_challenges=[i for (s, i), d in final.items() if s == "challenge" and d is None],
        removed_technologies=[i for (s, i), d in final.items() if s == "technology" and d is None])


def test_a_batch_equals_one_change_at_a_time_and_recomputing(analyzer, demo_challenges, demo_technologies) -> None:
    events = _events(demo_challenges, demo_technologies)
    one = MatchEngine(analyzer, top_k=5).fit(demo_challenges[:40], demo_technologies[:120])
    batch = MatchEngine(analyzer, top_k=5).fit(demo_challenges[:40], demo_technologies[:120])

    _one_by_one(one, events)
    _in_one_batch(batch, events)

    _assert_same(_exact(batch), _exact(one))
    assert _rounded(_exact(batch)) == _recomputed(batch)
    forward, backward = _exact(batch)
    assert demo_challenges[4].id not in forward and demo_technologies[12].id not in backward
    assert demo_technologies[30].id in backward
    assert all(t != demo_technologies[12].id for ranked in forward.values() for t, _ in ranked)
    # The rewritten popular technology lost its elderly-care lists; the new vocabulary is ignored
    # (vocabulary and IDF stay frozen until a refit), the known words still count.
    assert batch.changes_since_fit_ == one.changes_since_fit_ - (len(events) - len({(s, i) for s, i, _ in events}))


def test_batches_on_a_loaded_state_across_a_delta_merge(analyzer, fitted, demo_challenges, demo_technologies,
                                                        tmp_path, monkeypatch) -> None:
    """The app applies batches to an engine mapped from its saved files; a small delta limit makes
    the second batch merge the delta into the main matrices."""
    monkeypatch.setattr(_Side, "_DELTA_LIMIT", 8)
    events = _events(demo_challenges, demo_technologies)
    save(fitted, tmp_path / "state")
    one, batch = load(tmp_path / "state", analyzer), load(tmp_path / "state", analyzer)

    _one_by_one(one, events)
    _in_one_batch(batch, events[:20])
    _in_one_batch(batch, events[20:])

    _assert_same(_exact(batch), _exact(one))
    assert _rounded(_exact(batch)) == _recomputed(batch)


def test_a_batch_costs_a_few_products_whatever_its_size(fitted, demo_technologies, monkeypatch) -> None:
    """One vector build per side with new rows and a few products, not one per change (here most of
    the catalogue is replaced, so the lists that held it are scored exactly rather than by top-n)."""
    calls = {"vectors": 0, "products": 0}
    vectors, top_n, dense_scores = MatchEngine._vectors, MatchEngine._top_n, MatchEngine._dense_scores

    def counted_vectors(self, *args, **kwargs):
        calls["vectors"] += 1
        return vectors(self, *args, **kwargs)

    def counted_top_n(self, *args, **kwargs):
        calls["products"] += 1
        return top_n(self, *args, **kwargs)

    def counted_dense_scores(*args, **kwargs):
        calls["products"] += 1
        return dense_scores(*args, **kwargs)

    monkeypatch.setattr(MatchEngine, "_vectors", counted_vectors)
    monkeypatch.setattr(MatchEngine, "_top_n", counted_top_n)
    monkeypatch.setattr(MatchEngine, "_dense_scores", staticmethod(counted_dense_scores))
    fitted.apply_changes(technologies=[dataclasses.replace(t, description=t.description + " 改訂")
                                       for t in demo_technologies[:100]])

    assert calls["vectors"] == 1 and calls["products"] <= 4  # per side: its new lists, the lists recomputed
    assert _rounded(_exact(fitted)) == _recomputed(fitted)


def test_an_id_twice_in_one_batch_is_refused(fitted, demo_technologies) -> None:
    with pytest.raises(DuplicateDocumentId):
        fitted.apply_changes(technologies=[demo_technologies[0]], removed_technologies=[demo_technologies[0].id])


def test_an_unchanged_text_is_not_analysed_again(fitted, demo_technologies, monkeypatch) -> None:
    cached = fitted.tokens("technology", demo_technologies[0].id)
    monkeypatch.setattr(fitted.analyzer_, "analyze_many", lambda pairs, n_jobs=1: pytest.fail("analysed") if pairs else [])

    fitted.apply_changes(technologies=[dataclasses.replace(demo_technologies[0], maturity="concept")])

    assert fitted.tokens("technology", demo_technologies[0].id) is cached
