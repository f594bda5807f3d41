"""The score of a challenge-technology pair: one formula, its weights, and why.

    text       = cosine of the two TF-IDF vectors (title terms counted twice)   in [0, 1]
    field      = share of the challenge's fields that the technology covers    in [0, 1]
    maturity   = concept 0, piloted 0.5, in service 1                          in [0, 1]
    track      = 0 nowhere in service, 0.6 in service elsewhere,
                 1 in service in the challenge's own region                     in [0, 1]
    evidence   = (maturity + track) / 2                                         in [0, 1]

    multiplier = 0.70 + 0.20 * field + 0.10 * evidence                          in [0.70, 1]
    score      = text * multiplier                                              in [0, 1]

Why multiplicative: a coordinator would never propose a technology whose description shares
nothing with the issue, however mature it is, so without shared words the score is 0. Among
textually relevant candidates, covering the issue's field and a track record (especially nearby,
which makes 横展開 cheap) can move a candidate by up to 30%: enough to reorder near-ties, never
enough to bury a much better textual match.

The multiplier is `alpha(t) + u(c) . v(t)`, so the engine folds it into expanded sparse vectors
and every score, all-pairs, single query or incremental, is one exact sparse dot product.
"""

from __future__ import annotations

TEXT_BASE = 0.70
FIELD_WEIGHT = 0.20
EVIDENCE_WEIGHT = 0.10

MATURITY_VALUE = {"concept": 0.0, "piloted": 0.5, "in_service": 1.0}
TRACK_ELSEWHERE = 0.6
TRACK_SAME_REGION = 1.0


def maturity_value(maturity: str | None) -> float:
    return MATURITY_VALUE.get(maturity or "", 0.0)


def technology_alpha(maturity: str | None, deployed_anywhere: bool) -> float:
    """The part of the multiplier that depends on the technology alone."""
    track = TRACK_ELSEWHERE if deployed_anywhere else 0.0
    return TEXT_BASE + EVIDENCE_WEIGHT * 0.5 * (maturity_value(maturity) + track)


def field_unit_weight(challenge_field_count: int) -> float:
    """Weight of one shared field, so that covering all of the challenge's fields adds FIELD_WEIGHT."""
    return FIELD_WEIGHT / challenge_field_count if challenge_field_count else 0.0


# In service in the same region raises track from TRACK_ELSEWHERE to TRACK_SAME_REGION.
SAME_REGION_WEIGHT = EVIDENCE_WEIGHT * 0.5 * (TRACK_SAME_REGION - TRACK_ELSEWHERE)


def evidence(maturity: str | None, deployed_anywhere: bool, same_region: bool) -> float:
    track = TRACK_SAME_REGION if same_region else TRACK_ELSEWHERE if deployed_anywhere else 0.0
    return 0.5 * (maturity_value(maturity) + track)


def multiplier(field: float, evidence_value: float) -> float:
    return TEXT_BASE + FIELD_WEIGHT * field + EVIDENCE_WEIGHT * evidence_value
