"""The score of a challenge-technology pair: one formula, its weights, and why.

    text       = cosine of the two TF-IDF vectors (title terms counted twice)   in [0, 1]
    field      = share of the challenge's fields that the technology covers    in [0, 1]
    maturity   = concept 0, piloted 0.5, in service 1                          in [0, 1]
    track      = 0 nowhere in service, 0.6 in service elsewhere,
                 1 in service in the challenge's own region                     in [0, 1]
    evidence   = (maturity + track) / 2                                         in [0, 1]

    multiplier = 0.30 + 0.60 * field + 0.10 * evidence                          in [0.30, 1]
    score      = text * multiplier                                              in [0, 1]

(text is the weighted sum of the word and character n-gram cosines, engine.DEFAULTS.)

Why multiplicative: a coordinator would never propose a technology whose description shares
nothing with the issue, however mature it is, so without shared words the score is 0. Among
textually relevant candidates, covering the issue's field counts for much: on real pairs the chosen
solution almost always covers the issue's field, and cross-validation on the development set
chose 0.6 (bench/RESULTS.md); a track record (especially nearby, which makes 横展開 cheap) adds up
to 10%.

The multiplier is `alpha(t) + u(c) . v(t)`, so the engine folds it into expanded sparse vectors
and every score, all-pairs, single query or incremental, is one exact sparse dot product.
"""

from __future__ import annotations

FIELD_WEIGHT = 0.60  # chosen by cross-validation (bench/RESULTS.md); MatchEngine(field_weight=...) overrides it
EVIDENCE_WEIGHT = 0.10


def text_base(field_weight: float = FIELD_WEIGHT) -> float:
    return 1.0 - field_weight - EVIDENCE_WEIGHT


TEXT_BASE = text_base()

MATURITY_VALUE = {"concept": 0.0, "piloted": 0.5, "in_service": 1.0}
TRACK_ELSEWHERE = 0.6
TRACK_SAME_REGION = 1.0


def maturity_value(maturity: str | None) -> float:
    return MATURITY_VALUE.get(maturity or "", 0.0)


def technology_alpha(maturity: str | None, deployed_anywhere: bool, field_weight: float = FIELD_WEIGHT) -> float:
    """The part of the multiplier that depends on the technology alone."""
    track = TRACK_ELSEWHERE if deployed_anywhere else 0.0
    return text_base(field_weight) + EVIDENCE_WEIGHT * 0.5 * (maturity_value(maturity) + track)


def field_unit_weight(challenge_field_count: int, field_weight: float = FIELD_WEIGHT) -> float:
    """Weight of one shared field, so that covering all of the challenge's fields adds field_weight."""
    return field_weight / challenge_field_count if challenge_field_count else 0.0


# In service in the same region raises track from TRACK_ELSEWHERE to TRACK_SAME_REGION.
SAME_REGION_WEIGHT = EVIDENCE_WEIGHT * 0.5 * (TRACK_SAME_REGION - TRACK_ELSEWHERE)


def evidence(maturity: str | None, deployed_anywhere: bool, same_region: bool) -> float:
    track = TRACK_SAME_REGION if same_region else TRACK_ELSEWHERE if deployed_anywhere else 0.0
    return 0.5 * (maturity_value(maturity) + track)


def multiplier(field: float, evidence_value: float, field_weight: float = FIELD_WEIGHT) -> float:
    return text_base(field_weight) + field_weight * field + EVIDENCE_WEIGHT * evidence_value
