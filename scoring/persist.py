"""Save and load a fitted engine as plain JSON (no pickle: a state file cannot run code).

A state is a directory with `state.json` (parameters, vocabulary, IDF, layout) and
`documents.jsonl.gz` (every live document with its cached tokens). Loading rebuilds the
vectors from cached tokens, never re-tokenising, and recomputes the top-k lists.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .documents import ChallengeDoc, TechnologyDoc
from .engine import CHALLENGE, TECHNOLOGY, CachedTokens, MatchEngine
from .features import make_char_vectorizer, make_word_vectorizer

# 3: additive priors (formula.py); a state of format 2 is refused, and the app refits.
FORMAT_VERSION = 3


class IncompatibleState(ValueError):
    """The state directory was written by another format version, or is damaged."""


def save(engine: MatchEngine, directory: str | os.PathLike[str]) -> None:
    """Write atomically: a reader never sees a half-written state."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".engine-", dir=target.parent))
    vocabulary = engine.word_vectorizer_.get_feature_names_out().tolist()
    state = {
        "format": FORMAT_VERSION,
        "params": {"title_weight": engine.title_weight, "compound_weight": engine.compound_weight,
                   "char_ngram_weight": engine.char_ngram_weight, "char_max_df": engine.char_max_df,
                   "field_weight": engine.field_weight, "evidence_weight": engine.evidence_weight,
                   "secondary_field_cover": engine.secondary_field_cover, "top_k": engine.top_k, "refit_growth": engine.refit_growth},
        "vocabulary": vocabulary,
        "idf": engine.word_vectorizer_.idf_.tolist(),
        "layout": {"fields": engine.layout_.fields, "regions": engine.layout_.regions},
        "fitted_size": engine.fitted_size_,
        "changes_since_fit": engine.changes_since_fit_,
    }
    if engine.compound_vectorizer_ is not None:
        state["compound_vocabulary"] = engine.compound_vectorizer_.get_feature_names_out().tolist()
        state["compound_idf"] = engine.compound_vectorizer_.idf_.tolist()
    if engine.char_vectorizer_ is not None:
        state["char_vocabulary"] = engine.char_vectorizer_.get_feature_names_out().tolist()
        state["char_idf"] = engine.char_vectorizer_.idf_.tolist()
    (staging / "state.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    with gzip.open(staging / "documents.jsonl.gz", "wt", encoding="utf-8") as handle:
        for side, docs in ((CHALLENGE, engine.live_challenges()), (TECHNOLOGY, engine.live_technologies())):
            for doc in docs:
                tokens = engine.tokens(side, doc.id)
                record = {"side": side, "doc": dataclasses.asdict(doc), "digest": tokens.digest,
                          "terms": list(tokens.terms), "surfaces": tokens.surfaces, "parts": list(tokens.parts)}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    if target.exists():
        backup = target.with_name(target.name + ".old")
        if backup.exists():
            _remove_tree(backup)
        target.rename(backup)
        staging.rename(target)
        _remove_tree(backup)
    else:
        staging.rename(target)


def load(directory: str | os.PathLike[str], analyzer=None) -> MatchEngine:  # type: ignore[no-untyped-def]
    """Rebuild an engine from a saved state. Raises IncompatibleState or FileNotFoundError."""
    source = Path(directory)
    try:
        state = json.loads((source / "state.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise IncompatibleState(f"damaged engine state: {error}") from None
    if state.get("format") != FORMAT_VERSION:
        raise IncompatibleState(f"engine state format {state.get('format')!r}, expected {FORMAT_VERSION}")
    engine = MatchEngine(analyzer, **state["params"])
    from .text import TextAnalyzer

    engine.analyzer_ = analyzer or TextAnalyzer()
    engine.word_vectorizer_ = _restore_vectorizer(make_word_vectorizer(np.float64), state["vocabulary"], state["idf"])
    engine.compound_vectorizer_ = None
    if "compound_vocabulary" in state:
        engine.compound_vectorizer_ = _restore_vectorizer(
            make_word_vectorizer(np.float64), state["compound_vocabulary"], state["compound_idf"]
        )
    engine.char_vectorizer_ = None
    if "char_vocabulary" in state:
        engine.char_vectorizer_ = _restore_vectorizer(
            make_char_vectorizer(np.float64), state["char_vocabulary"], state["char_idf"]
        )
    engine.layout_ = engine._layout(state["layout"]["fields"], state["layout"]["regions"])
    engine.token_cache_ = {}
    docs: dict[str, list] = {CHALLENGE: [], TECHNOLOGY: []}
    with gzip.open(source / "documents.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            side = record["side"]
            doc = _document(side, record["doc"])
            docs[side].append(doc)
            engine.token_cache_[(side, doc.id)] = CachedTokens(record["digest"], tuple(record["terms"]),
                                                                    record["surfaces"], tuple(record["parts"]))
    engine._set_sides(docs[CHALLENGE], docs[TECHNOLOGY])
    engine.fitted_size_ = state["fitted_size"]
    engine.changes_since_fit_ = state["changes_since_fit"]
    engine._compute_all_top_k()
    return engine


def _restore_vectorizer(vectorizer, vocabulary: list[str], idf: list[float]):  # type: ignore[no-untyped-def]
    vectorizer.vocabulary_ = {term: i for i, term in enumerate(vocabulary)}
    vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
    return vectorizer


def _document(side: str, fields: dict[str, Any]) -> ChallengeDoc | TechnologyDoc:
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    return ChallengeDoc(**values) if side == CHALLENGE else TechnologyDoc(**values)


def _remove_tree(path: Path) -> None:
    for child in path.iterdir():
        child.unlink()
    path.rmdir()
