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

import numpy as np

from .engine import MatchEngine
from .topk import EMPTY


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
    """All company-municipality pairs (optionally for one company or one municipality), best first.

    The maintained top-k tables are filtered and reduced with numpy (a company's best technology
    per challenge), so only the few surviving entries reach Python, however large the catalogue.
    """
    challenges, technologies = engine.challenges_, engine.technologies_
    municipality_codes, municipalities = challenges.codes("municipality")
    company_codes, companies = technologies.codes("company")
    table = engine.challenge_top_
    rows = np.flatnonzero(challenges.alive & (municipality_codes >= 0))
    if municipality is not None:
        wanted = municipalities.index(municipality) if municipality in municipalities else -2
        rows = rows[municipality_codes[rows] == wanted]
    candidates, scores = table.candidates[rows], table.scores[rows]
    present = candidates != EMPTY
    owner = np.where(present, company_codes[np.where(present, candidates, 0)], -1)
    keep = owner >= 0
    if company is not None:
        keep &= owner == (companies.index(company) if company in companies else -2)
    local, _column = np.nonzero(keep)
    entry_rows, entry_owner = rows[local], owner[keep]
    entry_candidates, entry_scores = candidates[keep], scores[keep]
    # A company counts with its best technology per challenge: best score, then the lower
    # position (the order of the ranked list).
    order = np.lexsort((entry_candidates, -entry_scores, entry_owner, entry_rows))
    entry_rows, entry_owner = entry_rows[order], entry_owner[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (entry_rows[1:] != entry_rows[:-1]) | (entry_owner[1:] != entry_owner[:-1])
    best: dict[tuple[str, str], list[Contribution]] = defaultdict(list)
    for row, owner_code, candidate, score in zip(entry_rows[first].tolist(), entry_owner[first].tolist(),
                                                 entry_candidates[order][first].tolist(),
                                                 entry_scores[order][first].tolist()):
        best[(companies[owner_code], municipalities[municipality_codes[row]])].append(
            Contribution(challenges.docs[row].id, technologies.docs[candidate].id, score))
    pairs = []
    for (pair_company, pair_municipality), contributions in best.items():
        strongest = sorted(contributions, key=lambda c: (-c.score, c.challenge_id))[:per_pair]
        remaining = 1.0
        for contribution in strongest:
            remaining *= 1.0 - contribution.score
        pairs.append(PairScore(pair_company, pair_municipality, 1.0 - remaining, tuple(strongest)))
    pairs.sort(key=lambda p: (-p.score, p.company, p.municipality))
    return pairs[:top] if top else pairs
