"""The binary engine state: loaded by mapping its arrays, it ranks and explains exactly as the
engine that saved it, before and after further changes, without recomputing anything at load."""

from __future__ import annotations

import numpy as np
import pytest

from scoring import ChallengeDoc, MatchEngine, TechnologyDoc, persist
from scoring.explain import explain
from scoring.persist import load, save


def _everything(engine: MatchEngine) -> tuple[dict, dict, dict]:
    """Every list (ids, and scores to 12 places: a row scored against the delta and the same row
    scored after compaction into the main matrix add the same products in another order) and the
    reasons of every listed pair."""
    challenges = {c.id: engine.technologies_for(c.id) for c in engine.live_challenges()}
    technologies = {t.id: engine.challenges_for(t.id) for t in engine.live_technologies()}
    reasons = {(c, m.id): explain(engine, c, m.id).reasons() for c, ms in challenges.items() for m in ms}
    rounded = [{key: [(m.id, round(m.score, 12)) for m in ms] for key, ms in lists.items()}
               for lists in (challenges, technologies)]
    return rounded[0], rounded[1], reasons


def _changes(engine: MatchEngine) -> None:
    first = engine.live_challenges()[0]
    engine.upsert_challenge(ChallengeDoc(first.id, first.title, first.description + "。見守りセンサーの転倒検知",
                                         fields=first.fields, municipality=first.municipality, region=first.region))
    engine.upsert_technology(TechnologyDoc("late", "転倒検知センサー", "高齢者施設の見守りと転倒検知", fields=("elderly",),
                                           company="後から来た社"))
    engine.remove_technology(engine.live_technologies()[5].id)
    engine.remove_challenge(engine.live_challenges()[7].id)


@pytest.fixture
def changed(engine) -> MatchEngine:
    _changes(engine)  # dead positions and delta rows: the state holds live documents only
    return engine


def test_a_loaded_state_ranks_and_explains_as_the_engine_that_saved_it(changed, tmp_path) -> None:
    save(changed, tmp_path / "state")
    loaded = load(tmp_path / "state", changed.analyzer_)

    assert _everything(loaded) == _everything(changed)


def test_further_changes_after_loading_give_what_they_give_on_the_original(changed, tmp_path) -> None:
    save(changed, tmp_path / "state")
    loaded = load(tmp_path / "state", changed.analyzer_)

    for engine in (changed, loaded):
        _changes(engine)
        engine.upsert_technology(TechnologyDoc("later", "観光案内の多言語チャット", "外国人観光客の質問に答える",
                                               fields=("tourism",), company="X"))

    assert _everything(loaded) == _everything(changed)
    # the refit path reads every document's tokens from the state
    assert _everything(loaded.refit()) == _everything(changed.refit())


def test_vectors_and_lists_are_mapped_from_the_files_not_rebuilt(changed, tmp_path, monkeypatch) -> None:
    save(changed, tmp_path / "state")

    def no_fit(*_args, **_kwargs):
        raise AssertionError("loading must not compute vectors or top-k lists")

    monkeypatch.setattr(MatchEngine, "_vectors", no_fit)
    monkeypatch.setattr(MatchEngine, "_compute_all_top_k", no_fit)
    monkeypatch.setattr(MatchEngine, "_top_n", no_fit)
    loaded = load(tmp_path / "state", changed.analyzer_)

    for array in (loaded.challenges_.expanded_main.data, loaded.technologies_.expanded_main_t.indices,
                  loaded.challenges_.prior_main_t, loaded.challenge_top_.candidates, loaded.technology_top_.scores):
        assert isinstance(array, np.memmap)
    assert len(dict.keys(loaded.token_cache_)) == 0  # tokens are read on first use
    some = loaded.live_challenges()[3].id
    assert loaded.tokens("challenge", some) == changed.tokens("challenge", some)


def test_an_older_format_is_refused(engine, tmp_path) -> None:
    save(engine, tmp_path / "state")
    state = (tmp_path / "state" / "state.json").read_text().replace(f'"format": {persist.FORMAT_VERSION}', '"format": 3')
    (tmp_path / "state" / "state.json").write_text(state)

    with pytest.raises(persist.IncompatibleState):
        load(tmp_path / "state")


def test_a_format_4_state_without_bm25_still_loads_and_new_states_say_5(engine, tmp_path) -> None:
    # Code that reads only format 4 fails on the BM25 settings (an unexpected keyword), so a state
    # carrying them must say 5 for such code to refuse it cleanly; this code still reads a 4.
    import json

    save(engine, tmp_path / "state")
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    assert state["format"] == 5 and "saturation_k1" in state["params"]
    state["format"] = 4
    for key in ("saturation_k1", "saturation_b"):
        state["params"].pop(key)
    state.pop("saturation", None)
    (tmp_path / "state" / "state.json").write_text(json.dumps(state))

    loaded = load(tmp_path / "state")
    some = engine.live_challenges()[0].id
    assert [m.id for m in loaded.technologies_for(some)] == [m.id for m in engine.technologies_for(some)]
