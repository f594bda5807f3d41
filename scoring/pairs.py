"""Company-municipality pairs: which companies a municipality should meet, and vice versa.

Aggregation, and why:
  1. For each open challenge, a company counts with its best technology for that challenge
     (a company needs one fitting solution per issue, not many mediocre ones).
  2. For each (company, municipality), the `per_pair` strongest of those per-challenge scores
     are combined by noisy-OR: 1 - prod(1 - s). Two strong matches beat one; many weak matches
     cannot add up to a strong one (a plain sum or mean would reward, or punish, a
     municipality merely for posting many issues).

Scores come from each challenge's maintained top-k list, so a company outside a challenge's
top-k counts 0 there; with k >= 20 that only drops matches weaker than twenty others.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .engine import MatchEngine


@dataclass(frozen=True)
class Contribution:
    challenge_id: str
    technology_id: str
    score: float


@dataclass(frozen=True)
class PairScore:
    company: str
    municipality: str
    score: float
    contributions: tuple[Contribution, ...]  # best first, the ones combined into the score


def rank_pairs(engine: MatchEngine, *, company: str | None = None, municipality: str | None = None,
               per_pair: int = 3, top: int | None = None) -> list[PairScore]:
    """All company-municipality pairs (optionally for one company or one municipality), best first."""
    best: dict[tuple[str, str], dict[str, Contribution]] = defaultdict(dict)
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
