"""Save and load a fitted engine: plain JSON for what is small, binary arrays for what is large.

A state is a directory (no pickle anywhere: a state file cannot run code):

- `state.json`: parameters, vocabularies, IDF, layout, sizes;
- `documents.json`: every live document (the plain fields the engine needs for reasons and pairs);
- per side, the expanded vectors as CSR arrays and their transposes, the dense prior columns and
  the top-k tables, each an `.npy` file that `load` maps into memory (`np.load(mmap_mode="c")`):
  every worker process on a machine shares one copy of them through the page cache, and a worker
  starts without recomputing vectors or top-k lists (copy-on-write: the pages an incremental
  update changes become the worker's own, the rest stay shared);
- `tokens.bin` with `tokens-<side>.npy` offsets: each document's cached tokens as one JSON record,
  read on first use (explanations, refits), so a worker does not hold every document's tokens.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import mmap
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .documents import ChallengeDoc, TechnologyDoc
from .engine import CHALLENGE, TECHNOLOGY, CachedTokens, MatchEngine, _Side
from .features import Saturation, make_char_vectorizer, make_word_vectorizer
from .topk import EMPTY, TopKTable

# 3: additive priors (formula.py); 4: binary, memory-mapped arrays; 5: BM25 weights on the
# catalogue side (their settings and statistics). Older states are refused, and the app refits;
# a 4 still loads (cosine rows, no statistics: BM25 from the next refit), but code that knows only
# 4 must refuse a 5 rather than fail on its settings (a rollback, or a job worker not yet upgraded).
FORMAT_VERSION = 5
READABLE_FORMATS = (4, 5)
_ARRAYS = ("data", "indices", "indptr", "t-data", "t-indices", "t-indptr", "prior-t", "top-candidates", "top-scores")


class IncompatibleState(ValueError):
    """The state directory was written by another format version, or is damaged."""


def save(engine: MatchEngine, directory: str | os.PathLike[str]) -> None:
    """Write atomically: a reader never sees a half-written state. Only live documents are
    written (positions are renumbered; the top-k tables follow)."""
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".engine-", dir=target.parent))
    vocabulary = engine.word_vectorizer_.get_feature_names_out().tolist()
    sides = ((CHALLENGE, engine.challenges_, engine.challenge_top_), (TECHNOLOGY, engine.technologies_, engine.technology_top_))
    live = {name: side.live() for name, side, _ in sides}
    renumber = {}
    for name, side, _ in sides:
        mapping = np.full(side.size, EMPTY, dtype=np.int64)
        mapping[live[name][0]] = np.arange(len(live[name][0]))
        renumber[name] = mapping
    state: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "params": {"title_weight": engine.title_weight, "compound_weight": engine.compound_weight,
                   "char_ngram_weight": engine.char_ngram_weight, "char_max_df": engine.char_max_df,
                   "field_weight": engine.field_weight, "evidence_weight": engine.evidence_weight,
                   "secondary_field_cover": engine.secondary_field_cover, "saturation_k1": engine.saturation_k1,
                   "saturation_b": engine.saturation_b, "top_k": engine.top_k, "refit_growth": engine.refit_growth},
        "vocabulary": vocabulary,
        "idf": engine.word_vectorizer_.idf_.tolist(),
        "layout": {"fields": engine.layout_.fields, "regions": engine.layout_.regions},
        "fitted_size": engine.fitted_size_,
        "changes_since_fit": engine.changes_since_fit_,
        "width": int(engine.challenges_.expanded_main.shape[1]),
        # BM25 statistics of the technology side, frozen at fit like the IDF (features.Saturation).
        "saturation": {name: [s.average_length_, s.scale_] for name, s in getattr(engine, "saturations_", {}).items()},
    }
    if engine.compound_vectorizer_ is not None:
        state["compound_vocabulary"] = engine.compound_vectorizer_.get_feature_names_out().tolist()
        state["compound_idf"] = engine.compound_vectorizer_.idf_.tolist()
    if engine.char_vectorizer_ is not None:
        state["char_vocabulary"] = engine.char_vectorizer_.get_feature_names_out().tolist()
        state["char_idf"] = engine.char_vectorizer_.idf_.tolist()
    documents: dict[str, list[dict[str, Any]]] = {}
    with (staging / "tokens.bin").open("wb") as tokens_file:
        for name, side, table in sides:
            positions, matrix = live[name]
            matrix = matrix.tocsr()
            matrix.sort_indices()
            matrix_t = matrix.T.tocsr()
            matrix_t.sort_indices()
            other = CHALLENGE if name == TECHNOLOGY else TECHNOLOGY
            candidates = table.candidates[positions]
            mapped = np.where(candidates == EMPTY, EMPTY, renumber[other][np.where(candidates == EMPTY, 0, candidates)])
            scores = np.where(mapped == EMPTY, -np.inf, table.scores[positions])
            arrays = {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr,
                      "t-data": matrix_t.data, "t-indices": matrix_t.indices, "t-indptr": matrix_t.indptr,
                      "prior-t": np.ascontiguousarray(matrix[:, engine.text_width_:].toarray().T),
                      "top-candidates": mapped, "top-scores": scores}
            for key, array in arrays.items():
                np.save(staging / f"{name}-{key}.npy", np.ascontiguousarray(array))
            docs = [side.docs[p] for p in positions.tolist()]
            documents[name] = [dataclasses.asdict(doc) for doc in docs]
            offsets = [tokens_file.tell()]
            # Tokens still as loaded are copied as stored: reading them through the cache would
            # build every document's tokens as objects in this process and keep them there.
            stored = getattr(engine.token_cache_, "stored", None)
            for doc in docs:
                record = stored((name, doc.id)) if stored is not None else None
                if record is None:
                    tokens = engine.tokens(name, doc.id)
                    record = json.dumps({"digest": tokens.digest, "terms": list(tokens.terms),
                                         "surfaces": tokens.surfaces, "parts": list(tokens.parts)},
                                        ensure_ascii=False).encode()
                tokens_file.write(record)
                offsets.append(tokens_file.tell())
            np.save(staging / f"tokens-{name}.npy", np.asarray(offsets, dtype=np.int64))
    (staging / "documents.json").write_text(json.dumps(documents, ensure_ascii=False), encoding="utf-8")
    (staging / "state.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    with _locked(target, fcntl.LOCK_EX):
        if target.exists():
            backup = target.with_name(target.name + ".old")
            if backup.exists():
                _remove_tree(backup)
            target.rename(backup)
            staging.rename(target)
            _remove_tree(backup)
        else:
            staging.rename(target)


@contextlib.contextmanager
def _locked(target: Path, mode: int) -> Iterator[None]:
    """A lock beside the state directory, shared by every process on the machine (gunicorn
    workers, the job worker): a save swaps the directory only while no load is reading its files
    one by one, so a new worker never combines one save's state.json with another's arrays (a
    width that does not match the transposed index: a 500 on every ranking page), and two saves
    never interleave their renames. Arrays stay valid once mapped, so the lock is held only while
    files are opened, not while the engine is used."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle.fileno(), mode)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class _LazyTokens(dict[tuple[str, str], CachedTokens]):
    """The engine's token cache, filled from tokens.bin on first use of each document.

    The mapped file stays valid after a newer state replaces the directory (POSIX keeps an
    unlinked file's pages while they are mapped)."""

    def __init__(self, source: Path, ids: dict[str, list[str]]) -> None:
        super().__init__()
        with (source / "tokens.bin").open("rb") as handle:
            self._bytes = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(handle.fileno()).st_size \
                else b""
        self._where: dict[tuple[str, str], tuple[int, int]] = {}
        for side, side_ids in ids.items():
            offsets = np.load(source / f"tokens-{side}.npy").tolist()
            for i, doc_id in enumerate(side_ids):
                self._where[(side, doc_id)] = (offsets[i], offsets[i + 1])

    def __missing__(self, key: tuple[str, str]) -> CachedTokens:
        start, end = self._where[key]  # KeyError for documents the state does not hold
        record = json.loads(self._bytes[start:end])
        tokens = CachedTokens(record["digest"], tuple(record["terms"]), record["surfaces"], tuple(record["parts"]))
        self[key] = tokens
        return tokens

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._where

    def stored(self, key: tuple[str, str]) -> bytes | None:
        """The record as saved, when this process has not read or replaced it (None otherwise)."""
        if dict.__contains__(self, key) or key not in self._where:
            return None
        start, end = self._where[key]
        return bytes(self._bytes[start:end])


def load(directory: str | os.PathLike[str], analyzer=None) -> MatchEngine:  # type: ignore[no-untyped-def]
    """An engine from a saved state, its arrays mapped, not read. Raises IncompatibleState or
    FileNotFoundError."""
    source = Path(directory)
    with _locked(source, fcntl.LOCK_SH):
        return _load(source, analyzer)


def _load(source: Path, analyzer=None) -> MatchEngine:  # type: ignore[no-untyped-def]
    try:
        state = json.loads((source / "state.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise IncompatibleState(f"damaged engine state: {error}") from None
    if state.get("format") not in READABLE_FORMATS:
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
    engine.saturations_ = {}
    for name, (average_length, scale) in state.get("saturation", {}).items():
        saturation = Saturation(engine.saturation_k1, engine.saturation_b)
        saturation.average_length_, saturation.scale_ = average_length, scale
        engine.saturations_[name] = saturation
    try:
        documents = json.loads((source / "documents.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise IncompatibleState(f"damaged engine state: {error}") from None
    docs = {side: [_document(side, fields) for fields in documents[side]] for side in (CHALLENGE, TECHNOLOGY)}
    width, text_width = int(state["width"]), engine.text_width_
    sides, tables = {}, {}
    for side in (CHALLENGE, TECHNOLOGY):
        arrays = {key: _mapped(source / f"{side}-{key}.npy") for key in _ARRAYS}
        rows = len(docs[side])
        matrix = _csr(arrays["data"], arrays["indices"], arrays["indptr"], (rows, width))
        matrix_t = _csr(arrays["t-data"], arrays["t-indices"], arrays["t-indptr"], (width, rows))
        sides[side] = _Side(docs[side], matrix, text_width, matrix_t, arrays["prior-t"])
        table = TopKTable(engine.top_k, 0)
        table.candidates, table.scores, table.rows = arrays["top-candidates"], arrays["top-scores"], rows
        tables[side] = table
    engine.challenges_, engine.technologies_ = sides[CHALLENGE], sides[TECHNOLOGY]
    engine.challenge_top_, engine.technology_top_ = tables[CHALLENGE], tables[TECHNOLOGY]
    engine.token_cache_ = _LazyTokens(source, {side: [d.id for d in docs[side]] for side in docs})
    engine.fitted_size_ = state["fitted_size"]
    engine.changes_since_fit_ = state["changes_since_fit"]
    return engine


def _mapped(path: Path) -> np.ndarray:
    try:
        return np.load(path, mmap_mode="c")
    except ValueError:  # numpy cannot map an empty array; an empty side is read, which is free
        return np.load(path)


def _csr(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    """A CSR matrix over saved (canonical) arrays as they are: scipy's constructor would scan them,
    and copy them when it prefers another index type."""
    matrix = sp.csr_matrix(shape, dtype=data.dtype)
    matrix.data, matrix.indices, matrix.indptr = data, indices, indptr
    matrix.has_sorted_indices = True
    matrix.has_canonical_format = True
    return matrix


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
