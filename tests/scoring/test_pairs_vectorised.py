"""Company-municipality pairs from the numpy reduction equal the per-document Python loop."""

from __future__ import annotations

from collections import defaultdict

import pytest

from scoring import MatchEngine, TechnologyDoc
from scoring.pairs import Contribution, PairScore, rank_pairs


def reference_rank_pairs(engine: MatchEngine, *, company=None, municipality=None, per_pair=3, top=None):
    """The implementation before the numpy reduction: a loop over every live challenge's list."""
    best: dict = defaultdict(dict)
    for challenge in engine.live_challenges():
        if challenge.municipality is None or (municipality is not None and challenge.municipality != municipality):
            continue
        for match in engine.technologies_for(challenge.id):
            technology = engine.technology(match.id)
            if technology.company is None or (company is not None and technology.company != company):
                continue
            per_challenge = best[(technology.company, challenge.municipality)]
            current = per_challenge.get(challenge.id)
            if current is None or match.score > current.score:
                per_challenge[challenge.id] = Contribution(challenge.id, technology.id, match.score)
    pairs = []
    for (pair_company, pair_municipality), per_challenge in best.items():
        strongest = sorted(per_challenge.values(), key=lambda c: (-c.score, c.challenge_id))[:per_pair]
        remaining = 1.0
        for contribution in strongest:
            remaining *= 1.0 - contribution.score
        pairs.append(PairScore(pair_company, pair_municipality, 1.0 - remaining, tuple(strongest)))
    pairs.sort(key=lambda p: (-p.score, p.company, p.municipality))
    return pairs[:top] if top else pairs


def _filters(engine: MatchEngine) -> list[dict]:
    companies = sorted({t.company for t in engine.live_technologies() if t.company})
    municipalities = sorted({c.municipality for c in engine.live_challenges() if c.municipality})
    return ([{}] + [{"company": c} for c in companies[:12]] + [{"municipality": m} for m in municipalities[:12]]
            + [{"company": companies[0], "municipality": municipalities[0]}, {"company": "nobody"},
               {"municipality": "nowhere"}, {"top": 5}])


def test_pairs_equal_the_loop_for_every_filter(engine) -> None:
    assert len(rank_pairs(engine)) > 20
    for filters in _filters(engine):
        assert rank_pairs(engine, **filters) == reference_rank_pairs(engine, **filters), filters


def test_pairs_follow_upserts_and_removals(engine) -> None:
    technology = engine.live_technologies()[0]
    engine.upsert_technology(TechnologyDoc("moved", technology.title, technology.description, fields=technology.fields,
                                           company="a company added later"))
    engine.remove_technology(engine.live_technologies()[3].id)
    engine.remove_challenge(engine.live_challenges()[1].id)

    assert any(p.company == "a company added later" for p in rank_pairs(engine))
    for filters in _filters(engine) + [{"company": "a company added later"}]:
        assert rank_pairs(engine, **filters) == reference_rank_pairs(engine, **filters), filters


@pytest.mark.parametrize("per_pair", [1, 3, 5])
def test_per_pair_limits_the_combined_challenges(engine, per_pair) -> None:
    assert rank_pairs(engine, per_pair=per_pair) == reference_rank_pairs(engine, per_pair=per_pair)


def test_best_of_lists_equals_merging_each_ranked_list(engine) -> None:
    challenge_ids = [c.id for c in engine.live_challenges()][::-1] + ["unknown"]
    for per_list in (1, 3, 20):
        expected = sorted(((i, m) for i, c in enumerate(challenge_ids) if c != "unknown"
                           for m in engine.technologies_for(c)[:per_list]), key=lambda pair: -pair[1].score)
        assert engine.best_of_lists(challenge_ids, per_list) == expected
