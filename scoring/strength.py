"""How strong a match is, in words an officer can act on: strong, medium or weak.

A score alone says little: its scale moves with the length and wording of the two texts (on the
development set the real partner's score ranges from 0.04 to 0.33 at the 10th and 90th
percentiles). What does carry over is the score relative to the best match in the same list:

    strong  score >= 0.9 x best    67% of the real partners, 0.9 other entries per challenge
    medium  score >= 0.75 x best   88% of the real partners, 3.0 other entries per challenge
    weak    below, or below MIN_SCORE in any case

(With the additive field prior, formula.py, every field mate carries the same +0.1, so scores
sit closer to the best than under the old multiplier; the ratios were moved to keep the same
operating points: they were 0.8 and 0.5, giving 67% / 0.9 and 87% / 3.6 then.)

Calibrated on ../shared/eval/dev (60 real pairs, top-20 lists of the shipped engine;
`python -m bench.quality` prints the calibration table, bench/RESULTS.md records it). So a list
shows one to five strong or medium matches, among which the real partner is 88 times in 100.
"""

from __future__ import annotations

from collections.abc import Sequence

STRONG, MEDIUM, WEAK = "strong", "medium", "weak"
STRONG_RATIO = 0.9
MEDIUM_RATIO = 0.75
# Below this a match shares almost nothing: weak even if it is the best there is.
MIN_SCORE = 0.02


def strength(score: float, best: float) -> str:
    """The label of a score within a list whose best score is `best`."""
    if score < MIN_SCORE or best <= 0:
        return WEAK
    ratio = score / best
    if ratio >= STRONG_RATIO:
        return STRONG
    if ratio >= MEDIUM_RATIO:
        return MEDIUM
    return WEAK


def strengths(scores: Sequence[float]) -> list[str]:
    """Labels for a whole list of scores (any order)."""
    best = max(scores, default=0.0)
    return [strength(score, best) for score in scores]
