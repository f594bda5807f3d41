"""Fuzzy name matching for search boxes: 河内長野 finds 河内長野市, ＮＥＣ finds NEC, one typo is forgiven."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from rapidfuzz import fuzz


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").casefold().replace(" ", "")


def matches(query: str, names: Iterable[str]) -> bool:
    """True when the query is in a name, or is one edit away from part of it.

    One substitution over n characters gives a partial ratio of 100 * (1 - 1/n), so that is the
    threshold; queries of up to three characters must match exactly (a typo there is a new word).
    """
    q = normalize(query)
    if not q:
        return False
    threshold = 100.0 * (1 - 1 / len(q)) - 0.01 if len(q) >= 4 else 100.0
    for name in names:
        candidate = normalize(name)
        if not candidate:
            continue
        if q in candidate or (len(q) >= 4 and fuzz.partial_ratio(q, candidate) >= threshold):
            return True
    return False


def matching_ids(query: str, candidates: Iterable[tuple[int, Iterable[str]]]) -> set[int]:
    return {candidate_id for candidate_id, names in candidates if matches(query, names)}
