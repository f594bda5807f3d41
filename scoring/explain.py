"""Why a pair scored what it did, in the words each side wrote.

The score is one dot product of two expanded vectors (formula.py, features.PriorLayout), so it
decomposes exactly into one contribution per shared column:

    score = text_weight * text  +  field_weight * field  +  evidence_weight * evidence

where the text part splits into words (SudachiPy's middle and finest units), whole noun
compounds, and character n-grams (reported together as similar wording); the field columns give
the field share and the region and evidence columns the track-record share. Every share is its
part divided by the score, so all shares together sum to 1. A pair without shared text scores 0
and has no reasons (formula.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from . import formula
from .engine import CHALLENGE, TECHNOLOGY, MatchEngine


@dataclass(frozen=True)
class TermReason:
    term: str  # the canonical index term, for grouping; not meant for display
    challenge_word: str  # as the challenge's author wrote it
    technology_word: str  # as the technology's author wrote it
    share: float  # share of the whole score
    compound: bool = False  # matched as a whole noun compound (山間部), on top of its words


@dataclass(frozen=True)
class Explanation:
    challenge_id: str
    technology_id: str
    score: float
    text: float
    field: float
    evidence: float
    terms: tuple[TermReason, ...]
    other_terms_share: float  # shared terms beyond the listed ones
    wording_share: float  # shared character n-grams (similar wording)
    shared_fields: tuple[str, ...]
    field_share: float
    maturity: str | None
    deployed_in: tuple[str, ...]
    deployed_in_same_region: bool
    evidence_share: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def display_percents(self) -> dict[str, int]:
        """Whole percents per shown part ("term0".., "wording", "field", "evidence") adding up to
        exactly 100 (largest remainder), so a page never shows shares summing to 99 or 101."""
        parts = {f"term{i}": r.share for i, r in enumerate(self.terms)}
        parts["wording"] = self.other_terms_share + self.wording_share
        parts["field"] = self.field_share
        parts["evidence"] = self.evidence_share
        total = sum(parts.values())
        if total <= 0:
            return {key: 0 for key in parts}
        exact = {key: 100 * value / total for key, value in parts.items()}
        floors = {key: int(value) for key, value in exact.items()}
        missing = 100 - sum(floors.values())
        for key in sorted(exact, key=lambda k: floors[k] - exact[k])[:missing]:
            floors[key] += 1
        return floors

    def reasons(self) -> list[dict[str, Any]]:
        """A compact, ordered list for files and APIs: terms, then fields, then track record."""
        reasons: list[dict[str, Any]] = [
            {"kind": "term", "challenge_word": r.challenge_word, "technology_word": r.technology_word,
             "share": round(r.share, 4), **({"compound": True} if r.compound else {})}
            for r in self.terms
        ]
        if self.other_terms_share + self.wording_share > 0:
            reasons.append({"kind": "wording", "share": round(self.other_terms_share + self.wording_share, 4)})
        if self.shared_fields:
            reasons.append({"kind": "fields", "fields": list(self.shared_fields), "share": round(self.field_share, 4)})
        if self.score > 0 and (self.maturity or self.deployed_in):
            reasons.append({
                "kind": "track_record", "maturity": self.maturity, "deployed_in": list(self.deployed_in),
                "same_region": self.deployed_in_same_region, "share": round(self.evidence_share, 4),
            })
        return reasons


def explain(engine: MatchEngine, challenge_id: str, technology_id: str, max_terms: int = 5, *,
            cache: bool = True) -> Explanation:
    """Explain one stored pair. Raises KeyError for unknown ids.

    Explanations are cached per engine by the pair's positions: a position always holds the same
    version of a document (an edited document gets a new position, engine._Side.append) and the
    vocabulary only changes with a new fit (a new engine), so a cached explanation never goes stale.
    """
    c_position = engine.challenges_.position[challenge_id]
    t_position = engine.technologies_.position[technology_id]
    if not cache:  # a batch explains every pair once: nothing to reuse
        return _explain(engine, c_position, t_position, max_terms)
    explanations = _cache(engine)
    key = (c_position, t_position, max_terms)
    cached = explanations.get(key)
    if cached is None:
        cached = _explain(engine, c_position, t_position, max_terms)
        if len(explanations) >= _CACHE_LIMIT:
            explanations.clear()  # cheap and bounded; the pages' working set refills it at once
        explanations[key] = cached
    return cached


# Enough for every pair that every page of a large catalogue shows many times over (an entry is
# a few kilobytes at most), small enough that a long-running worker cannot grow without bound.
_CACHE_LIMIT = 50_000


def _cache(engine: MatchEngine) -> dict[tuple[int, int, int], Explanation]:
    """The explanations of the engine's current sides: a fit (also a refit of the same engine)
    makes new sides with new positions, and so a new cache."""
    sides = (engine.challenges_, engine.technologies_)
    cached = getattr(engine, "_explanation_cache", None)
    if cached is None or cached[0][0] is not sides[0] or cached[0][1] is not sides[1]:
        cached = (sides, {})
        engine._explanation_cache = cached  # type: ignore[attr-defined]
    return cached[1]


def _explain(engine: MatchEngine, c_position: int, t_position: int, max_terms: int) -> Explanation:
    return explain_many(engine, c_position, [t_position], max_terms)[0]


def explain_many(engine: MatchEngine, c_position: int, t_positions: Sequence[int], max_terms: int = 5,
                 ) -> list[Explanation]:
    """Explain one challenge (by position) against several technologies (a batch's top-k) at once.

    The shared columns of every pair come from one searchsorted of the technologies' CSR index
    arrays into the challenge's (no sparse row slicing or product per pair); the values and their
    order are those of c.multiply(t), the text and total sums numpy's over the same slices, and the
    n-gram ("wording") share is summed in the same order as one pair at a time, so every figure is
    identical to the sparse product's (tests/scoring/test_explain_fast.py).
    """
    technologies = engine.technologies_
    challenge = engine.challenges_.docs[c_position]
    c_indices, c_data = engine.challenges_.row_arrays(c_position)
    rows = [technologies.row_arrays(p) for p in t_positions]
    count = len(rows)
    lengths = np.fromiter((len(indices) for indices, _ in rows), dtype=np.int64, count=count)
    t_indices = np.concatenate([indices for indices, _ in rows]) if count else np.empty(0, dtype=np.int64)
    t_data = np.concatenate([data for _, data in rows]) if count else np.empty(0)
    found = np.minimum(np.searchsorted(c_indices, t_indices), max(len(c_indices) - 1, 0))
    shared = c_indices[found] == t_indices if len(c_indices) else np.zeros(len(t_indices), dtype=bool)
    columns = t_indices[shared]
    values = c_data[found[shared]] * t_data[shared]
    pair = np.repeat(np.arange(count), lengths)[shared]
    bounds = np.searchsorted(pair, np.arange(count + 1)).tolist()

    text_width = engine.text_width_
    names = _feature_names(engine)
    term_columns = len(names)
    is_text = columns < text_width
    # Per pair, its shared columns are sorted: terms, then n-grams, then prior columns.
    text_counts = np.bincount(pair[is_text], minlength=count).tolist()
    term_counts = np.bincount(pair[columns < term_columns], minlength=count)
    # The field part, added up in column order from 0 as one pair at a time does (few values each).
    is_field = (columns >= text_width) & (columns < text_width + len(engine.layout_.fields))
    field_parts = _sums_in_order(pair[is_field], values[is_field], count)
    # The n-gram values of each pair, largest first (the order one pair at a time adds them in; equal
    # values are interchangeable), padded with zeros, which add nothing.
    is_gram = is_text & (columns >= term_columns)
    gram_pair = pair[is_gram]
    gram_counts = np.bincount(gram_pair, minlength=count)
    grams = np.zeros((count, int(gram_counts.max()) if count else 0))
    gram_starts = np.concatenate([[0], np.cumsum(gram_counts)[:-1]]) if count else gram_counts
    grams[gram_pair, np.arange(len(gram_pair)) - gram_starts[gram_pair]] = values[is_gram]
    grams = -np.sort(-grams, axis=1)

    totals = []
    add = np.add.reduce  # np.sum's own reduction (pairwise), without its wrapper's cost per call
    for i in range(count):
        start, text_end = bounds[i], bounds[i] + text_counts[i]
        text_part = float(add(values[start:text_end]))
        totals.append((text_part, float(add(values[start:bounds[i + 1]])) if text_part > 0 else 0.0))
    scores = np.array([score for _, score in totals])
    shares = np.divide(grams, scores[:, np.newaxis], out=np.zeros_like(grams), where=scores[:, np.newaxis] != 0)
    wordings = np.add.accumulate(shares, axis=1)[:, -1].tolist() if shares.shape[1] else [0.0] * count

    word_columns = len(engine.word_vectorizer_.vocabulary_)
    c_surfaces = engine.tokens(CHALLENGE, challenge.id).surfaces
    is_term = columns < term_columns
    term_columns_list, term_values_list = columns[is_term].tolist(), values[is_term].tolist()
    term_starts = np.concatenate([[0], np.cumsum(term_counts)]).tolist() if count else [0]
    explanations = []
    for i, t_position in enumerate(t_positions):
        technology = technologies.docs[t_position]
        text_part, score = totals[i]
        start, term_end = term_starts[i], term_starts[i + 1]
        field_part = field_parts[i] if score else 0.0
        evidence_part = score - text_part - field_part if score else 0.0
        t_surfaces = engine.tokens(TECHNOLOGY, technology.id).surfaces
        candidates = []
        # Largest first; equal values keep column order (a stable sort, as np.argsort(kind="stable")).
        for column, value in sorted(zip(term_columns_list[start:term_end], term_values_list[start:term_end]),
                                    key=_minus_value):
            term = names[column]
            candidates.append(TermReason(term, c_surfaces.get(term, term), t_surfaces.get(term, term),
                                         float(value / score) if score else 0.0, compound=column >= word_columns))
        explanations.append(_explanation(engine, challenge, technology, score, text_part, field_part, evidence_part,
                                         candidates, wordings[i] if score else 0.0, max_terms))
    return explanations


def _minus_value(item: tuple[int, float]) -> float:
    return -item[1]


def _sums_in_order(pair: np.ndarray, values: np.ndarray, count: int) -> list[float]:
    """Per pair, its values added one after the other from 0 in their order (as Python's sum of
    floats does), for pairs given in order: rows padded with zeros, which add nothing."""
    per_pair = np.bincount(pair, minlength=count)
    width = int(per_pair.max()) if count else 0
    if width == 0:
        return [0.0] * count
    rows = np.zeros((count, width))
    starts = np.concatenate([[0], np.cumsum(per_pair)[:-1]])
    rows[pair, np.arange(len(pair)) - starts[pair]] = values
    return np.add.accumulate(rows, axis=1)[:, -1].tolist()


@lru_cache(maxsize=4096)
def _fields(challenge_fields: tuple[str, ...], technology_fields: tuple[str, ...],
            secondary_cover: float) -> tuple[tuple[str, ...], float]:
    """The shared fields and the field agreement of a pair: few distinct combinations, many pairs."""
    covers = formula.field_covers(technology_fields, secondary_cover)
    return (tuple(f for f in dict.fromkeys(challenge_fields) if covers.get(f)),
            formula.field_agreement(challenge_fields, technology_fields, secondary_cover))


def _explanation(engine: MatchEngine, challenge: Any, technology: Any, score: float, text_part: float,
                 field_part: float, evidence_part: float, candidates: list[TermReason], wording: float,
                 max_terms: int) -> Explanation:
    shared_fields, field = _fields(tuple(challenge.fields), tuple(technology.fields), engine.secondary_field_cover)
    shared_fields = shared_fields if score else ()
    same_region = bool(challenge.region) and challenge.region in set(technology.deployed_regions)
    evidence = formula.evidence(technology.maturity, bool(technology.deployed_in), same_region)
    # A word and its pieces (一人暮らし, 暮らし, 一人) are one reason: their shares add up. Longest
    # words first, so every piece joins the whole word it came from.
    merged: list[TermReason] = []
    for reason in sorted(candidates, key=lambda r: -(len(r.challenge_word) + len(r.technology_word))):
        overlapping = next((k for k, r in enumerate(merged) if _overlaps(r, reason)), None)
        if overlapping is None:
            merged.append(reason)
        else:
            merged[overlapping] = _merge(merged[overlapping], reason)
    merged.sort(key=lambda r: -r.share)
    terms = merged[:max_terms]
    listed = sum(r.share for r in terms)
    text_share = text_part / score if score else 0.0
    return Explanation(
        challenge_id=challenge.id, technology_id=technology.id, score=score, text=text_part / engine.layout_.text_weight,
        field=field, evidence=evidence, terms=tuple(terms),
        other_terms_share=max(text_share - listed - wording, 0.0), wording_share=wording,
        shared_fields=shared_fields,
        field_share=field_part / score if score else 0.0,
        maturity=technology.maturity, deployed_in=technology.deployed_in, deployed_in_same_region=same_region,
        evidence_share=evidence_part / score if score else 0.0,
    )


def _overlaps(a: TermReason, b: TermReason) -> bool:
    return ((a.challenge_word in b.challenge_word or b.challenge_word in a.challenge_word)
            and (a.technology_word in b.technology_word or b.technology_word in a.technology_word))


def _merge(a: TermReason, b: TermReason) -> TermReason:
    """Keep the longer words (the whole word, not its piece) and the sum of the shares."""
    longer = a if len(a.challenge_word) + len(a.technology_word) >= len(b.challenge_word) + len(b.technology_word) else b
    return TermReason(longer.term, longer.challenge_word, longer.technology_word, a.share + b.share,
                      compound=longer.compound)


def _feature_names(engine: MatchEngine) -> list[str]:
    """Names of the term columns: words, then whole compounds (character n-grams follow)."""
    cached = getattr(engine, "_feature_names_cache", None)
    if cached is None or cached[0] is not engine.word_vectorizer_:
        names = engine.word_vectorizer_.get_feature_names_out()
        if engine.compound_vectorizer_ is not None:
            names = np.concatenate([names, engine.compound_vectorizer_.get_feature_names_out()])
        cached = (engine.word_vectorizer_, [str(name) for name in names])  # Python strings: cheap to index
        engine._feature_names_cache = cached  # type: ignore[attr-defined]
    return cached[1]
