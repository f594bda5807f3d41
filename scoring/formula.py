"""The score of a challenge-technology pair: one formula, its weights, and why.

    text       = weighted sum over the text blocks (words, whole compounds, character
                 n-grams; engine.DEFAULTS) of the challenge's L2-normalised TF-IDF row times
                 the technology's BM25 row (features.Saturation, scaled to unit mean norm):
                 about [0, 1], a cosine when saturation is off; title terms counted once
    field      = sum over the challenge's fields f of cover(t, f) / len(fields)   in [0, 1]
                 cover = 1 for the technology's main field (the first of its fields),
                 SECONDARY_FIELD_COVER for its other fields, 0 otherwise
    maturity   = concept 0, piloted 0.5, in service 1                          in [0, 1]
    track      = 0 nowhere in service, 0.6 in service elsewhere,
                 1 in service in the challenge's own region                     in [0, 1]
    evidence   = (maturity + track) / 2                                         in [0, 1]

    score      = (1 - FIELD_WEIGHT - EVIDENCE_WEIGHT) * text
                 + FIELD_WEIGHT * field + EVIDENCE_WEIGHT * evidence            in [0, 1]
    score      = 0 when text = 0 (no shared word or n-gram: no match, however well the field
                 and track record agree)

Why additive (until 2026-11-29 the prior was a multiplier 0.3 + 0.6·field + 0.1·evidence): on
the development set's 60 real pairs the additive form ranks at least as well: 5-fold CV MRR 0.740
(R@1 0.600) with field 0.1 and an entry's secondary fields at half weight, against 0.730 (R@1
0.600) for the multiplier; counting every field of an entry alike gives 0.730 (bench/RESULTS.md).
And a multiplier of the text vector forced the engine to repeat the whole text vector once per
field and per region block: with the dense character n-gram block, 14.4 M stored values for 20,000
technologies instead of 3.9 M, and 1.4 GB instead of 0.9 GB for all pairs (times improve only
5-20%: the char block's posting lists dominate; bench/RESULTS.md). An additive prior is a handful of extra columns
(`features.PriorLayout`): every score is still ONE exact sparse dot product (all pairs, single
queries, incremental updates) and rows are only a few values longer than their text.

The rule "no shared text, no match" of the multiplier is kept explicitly: the engine drops pairs
whose text part is 0 (engine.MatchEngine, `_text_positive`), so a technology never ranks on its
field or track record alone.
"""

from __future__ import annotations

# Chosen by cross-validation (bench/RESULTS.md); MatchEngine(field_weight=..., ...) overrides them.
FIELD_WEIGHT = 0.05  # 5 of 5 folds with BM25 text (0.10 with cosines on both sides)
SECONDARY_FIELD_COVER = 0.5  # 5 of 5 folds: an entry's other fields count half its main one
# The development set has no maturity or deployments, so CV cannot see this weight (it ties at
# 0 and 0.02); kept small, so that a track record breaks near-ties without outweighing the text.
EVIDENCE_WEIGHT = 0.02

MATURITY_VALUE = {"concept": 0.0, "piloted": 0.5, "in_service": 1.0}
TRACK_ELSEWHERE = 0.6
TRACK_SAME_REGION = 1.0


def text_weight(field_weight: float = FIELD_WEIGHT, evidence_weight: float = EVIDENCE_WEIGHT) -> float:
    """The share of the score the text similarity carries; the priors take the rest."""
    return 1.0 - field_weight - evidence_weight


def maturity_value(maturity: str | None) -> float:
    return MATURITY_VALUE.get(maturity or "", 0.0)


def technology_evidence(maturity: str | None, deployed_anywhere: bool) -> float:
    """The evidence of a technology before the challenge's region is known."""
    return 0.5 * (maturity_value(maturity) + (TRACK_ELSEWHERE if deployed_anywhere else 0.0))


# In service in the challenge's own region raises track from TRACK_ELSEWHERE to TRACK_SAME_REGION.
SAME_REGION_EVIDENCE = 0.5 * (TRACK_SAME_REGION - TRACK_ELSEWHERE)


def evidence(maturity: str | None, deployed_anywhere: bool, same_region: bool) -> float:
    track = TRACK_SAME_REGION if same_region else TRACK_ELSEWHERE if deployed_anywhere else 0.0
    return 0.5 * (maturity_value(maturity) + track)


def field_covers(technology_fields: tuple[str, ...] | list[str],
                 secondary_cover: float = SECONDARY_FIELD_COVER) -> dict[str, float]:
    """How much a technology covers each of its fields: the first (main) fully, the others less."""
    unique = list(dict.fromkeys(technology_fields))
    return {f: (1.0 if i == 0 else secondary_cover) for i, f in enumerate(unique)}


def field_agreement(challenge_fields: tuple[str, ...] | list[str], technology_fields: tuple[str, ...] | list[str],
                    secondary_cover: float = SECONDARY_FIELD_COVER) -> float:
    fields = set(challenge_fields)
    if not fields:
        return 0.0
    covers = field_covers(technology_fields, secondary_cover)
    return sum(covers.get(f, 0.0) for f in fields) / len(fields)


def score(text: float, field: float, evidence_value: float, field_weight: float = FIELD_WEIGHT,
          evidence_weight: float = EVIDENCE_WEIGHT) -> float:
    if text <= 0:
        return 0.0
    return text_weight(field_weight, evidence_weight) * text + field_weight * field + evidence_weight * evidence_value
