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

from dataclasses import asdict, dataclass
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
    """The product of the two rows' shared columns, read from the CSR index arrays directly
    (no sparse row slicing or sparse product per pair); the values and their order are those of
    c.multiply(t), and sums are numpy's as scipy's, so every figure is identical to the product's."""
    challenge = engine.challenges_.docs[c_position]
    technology = engine.technologies_.docs[t_position]
    challenge_id, technology_id = challenge.id, technology.id
    c_indices, c_data = engine.challenges_.row_arrays(c_position)
    t_indices, t_data = engine.technologies_.row_arrays(t_position)
    columns, c_at, t_at = np.intersect1d(c_indices, t_indices, assume_unique=True, return_indices=True)
    values = c_data[c_at] * t_data[t_at]
    text_width = engine.text_width_
    text_count = int(np.searchsorted(columns, text_width))
    text_columns, text_values = columns[:text_count], values[:text_count]
    text_part = float(np.sum(text_values))
    # No shared text, no match (formula.py): the priors alone give neither a score nor reasons.
    score = float(np.sum(values)) if text_part > 0 else 0.0
    layout = engine.layout_
    field_part = float(sum(v for i, v in zip(columns[text_count:].tolist(), values[text_count:].tolist())
                           if layout.is_field_column(i - text_width))) if score else 0.0
    evidence_part = score - text_part - field_part if score else 0.0
    text = text_part / layout.text_weight

    covers = formula.field_covers(technology.fields, engine.secondary_field_cover)
    shared_fields = tuple(f for f in dict.fromkeys(challenge.fields) if covers.get(f)) if score else ()
    field = formula.field_agreement(challenge.fields, technology.fields, engine.secondary_field_cover)
    same_region = bool(challenge.region) and challenge.region in set(technology.deployed_regions)
    evidence = formula.evidence(technology.maturity, bool(technology.deployed_in), same_region)

    names = _feature_names(engine)
    order = np.argsort(-text_values, kind="stable")
    c_surfaces = engine.tokens(CHALLENGE, challenge_id).surfaces
    t_surfaces = engine.tokens(TECHNOLOGY, technology_id).surfaces
    candidates: list[TermReason] = []
    wording = 0.0
    term_columns = len(names)
    word_columns = len(engine.word_vectorizer_.vocabulary_)
    for column, value in zip(text_columns[order].tolist(), text_values[order].tolist()):
        share = float(value / score) if score else 0.0
        if column >= term_columns:
            wording += share
            continue
        term = str(names[column])
        reason = TermReason(term, c_surfaces.get(term, term), t_surfaces.get(term, term), share,
                            compound=bool(column >= word_columns))
        candidates.append(reason)
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
        challenge_id=challenge_id, technology_id=technology_id, score=score, text=text, field=field,
        evidence=evidence, terms=tuple(terms),
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


def _feature_names(engine: MatchEngine) -> np.ndarray:
    """Names of the term columns: words, then whole compounds (character n-grams follow)."""
    cached = getattr(engine, "_feature_names_cache", None)
    if cached is None or cached[0] is not engine.word_vectorizer_:
        names = engine.word_vectorizer_.get_feature_names_out()
        if engine.compound_vectorizer_ is not None:
            names = np.concatenate([names, engine.compound_vectorizer_.get_feature_names_out()])
        cached = (engine.word_vectorizer_, names)
        engine._feature_names_cache = cached  # type: ignore[attr-defined]
    return cached[1]
