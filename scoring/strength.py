"""How strong a match is, in words an officer can act on: strong, medium or weak.

A score alone says little: its scale moves with the length and wording of the two texts.
What does carry over is the score relative to the best match in the same list:

    strong  score >= 0.9 x best    72% of the real partners, 0.6 other entries per challenge
    medium  score >= 0.6 x best    88% of the real partners, 2.9 other entries per challenge
    weak    below, or below MIN_SCORE in any case

Calibrated on ../shared/eval/dev (60 real pairs, top-20 lists of the shipped engine;
`python -m bench.quality` prints the calibration table, bench/RESULTS.md records it). So a list
shows one to four strong or medium matches, among which the real partner is 88 times in 100.
(With BM25 on the catalogue side and the field prior at 0.05, scores spread further below the
best than with cosines and 0.1: medium moved from 0.75 to 0.6 to keep the 88% operating point;
0.75 would now hide 22% of the real partners behind "show more".)
"""

from __future__ import annotations

from collections.abc import Sequence

STRONG, MEDIUM, WEAK = "strong", "medium", "weak"
STRONG_RATIO = 0.9
MEDIUM_RATIO = 0.6
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
