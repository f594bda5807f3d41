import json

import pytest

from scoring import TechnologyDoc
from scoring.pairs import rank_pairs
from scoring.persist import IncompatibleState, load, save


def test_save_and_load_round_trip(engine, tmp_path, demo_challenges) -> None:
    engine.upsert_technology(TechnologyDoc("extra", "高齢者の見守りサービス", "安否確認を行う", company="X社"))
    save(engine, tmp_path / "state")

    loaded = load(tmp_path / "state", engine.analyzer_)

    for challenge in demo_challenges:
        assert loaded.technologies_for(challenge.id) == engine.technologies_for(challenge.id)
    assert loaded.tokens("technology", "extra") == engine.tokens("technology", "extra")


def test_saving_over_an_existing_state_replaces_it(engine, tmp_path) -> None:
    save(engine, tmp_path / "state")
    engine.remove_technology("t001")
    save(engine, tmp_path / "state")

    loaded = load(tmp_path / "state")

    assert all(t.id != "t001" for t in loaded.live_technologies())


@pytest.mark.parametrize("old_format", [2, 99])  # 2: multiplicative priors, vectors repeated per block
def test_a_state_of_another_format_is_refused(engine, tmp_path, old_format) -> None:
    save(engine, tmp_path / "state")
    state = json.loads((tmp_path / "state" / "state.json").read_text())
    state["format"] = old_format
    (tmp_path / "state" / "state.json").write_text(json.dumps(state))

    with pytest.raises(IncompatibleState):
        load(tmp_path / "state")


def test_pair_scores_combine_the_strongest_challenges_by_noisy_or(engine) -> None:
    pairs = rank_pairs(engine, municipality="堺市")

    for pair in pairs:
        expected = 1.0
        for contribution in pair.contributions:
            expected *= 1 - contribution.score
        assert pair.score == pytest.approx(1 - expected)
        assert len(pair.contributions) <= 3
        assert pair.municipality == "堺市"
    assert [p.score for p in pairs] == sorted((p.score for p in pairs), reverse=True)


def test_a_company_counts_with_its_best_technology_per_challenge(engine) -> None:
    pairs = rank_pairs(engine, company="みまもりテック株式会社", municipality="豊中市")

    (pair,) = pairs
    challenge_ids = [c.challenge_id for c in pair.contributions]
    assert len(challenge_ids) == len(set(challenge_ids))
    assert pair.contributions[0] == max(pair.contributions, key=lambda c: c.score)


def test_saving_a_loaded_state_copies_its_tokens_without_reading_them_into_memory(engine, tmp_path) -> None:
    """A snapshot by a worker that loaded the state: the tokens it never read are copied as
    stored (reading them would keep every document's tokens as objects in that worker), and
    the tokens of a document changed since are saved as they are now."""
    save(engine, tmp_path / "first")
    loaded = load(tmp_path / "first", engine.analyzer_)
    changed = TechnologyDoc("t001", "高齢者の見守りサービス", "安否確認を行う", company="X社")
    loaded.upsert_technology(changed)

    save(loaded, tmp_path / "second")

    assert dict.__len__(loaded.token_cache_) == 1  # only the changed document was analysed
    again = load(tmp_path / "second", engine.analyzer_)
    for doc in engine.live_technologies():
        if doc.id != "t001":
            assert again.tokens("technology", doc.id) == engine.tokens("technology", doc.id)
    for doc in engine.live_challenges():
        assert again.tokens("challenge", doc.id) == engine.tokens("challenge", doc.id)
    assert again.tokens("technology", "t001") == loaded.tokens("technology", "t001") != engine.tokens("technology", "t001")
