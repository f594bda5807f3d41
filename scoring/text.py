"""Text analysis for Japanese and English municipal and smart-city text.

Pipeline: Unicode NFKC (全角/半角 folded) -> split into ASCII-word runs and the rest ->
the rest goes through SudachiPy (core dictionary, normalised forms, so スマホ/スマートフォン
or 附属/付属 meet) with a part-of-speech filter; ASCII runs are lower-cased, stop-worded and
stemmed (Snowball) -> a curated synonym and variant table (data/synonyms.tsv), matched on
token sequences, maps variants to one canonical term.

Each term keeps the surface a person wrote, so reasons can quote it.
"""

from __future__ import annotations

import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

DATA_DIR = Path(__file__).resolve().parent / "data"

_ASCII_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&.\-]*")
_HAS_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
_MAX_PHRASE = 4
# Sudachi refuses inputs over about 49 KB; long descriptions are analysed in slices.
_SUDACHI_MAX_CHARS = 12_000
# Terms repeat across documents: one shared string per term keeps large caches small.
_intern = sys.intern


@dataclass(frozen=True)
class Analysis:
    """Terms in order (with repeats) and, per term, the first surface form seen."""

    terms: tuple[str, ...]
    surfaces: dict[str, str] = field(default_factory=dict)


def _keep_pos(pos: tuple[str, ...]) -> bool:
    major, minor = pos[0], pos[1]
    if major == "名詞":
        return minor in ("普通名詞", "固有名詞")
    if major in ("動詞", "形容詞", "形状詞"):
        return minor == "一般"
    return False


class _SudachiLocal(threading.local):
    """SudachiPy tokenizers are not thread-safe: one per thread, sharing the dictionary."""

    tokenizer = None
    morphemes = None


_dictionary_lock = threading.Lock()
_dictionary = None
_kept_pos_ids: frozenset[int] = frozenset()
_local = _SudachiLocal()


def _sudachi():  # type: ignore[no-untyped-def]
    global _dictionary, _kept_pos_ids
    if _local.tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
                # A set of POS ids is measurably faster per morpheme than a PosMatcher call.
                _kept_pos_ids = frozenset(
                    pos_id for pos_id, pos in enumerate(_all_pos(_dictionary)) if _keep_pos(pos)
                )
        _local.tokenizer = _dictionary.tokenizer(SplitMode.C, fields={"pos", "normalized_form"})
        _local.morphemes = _local.tokenizer.tokenize("")
    return _local.tokenizer, _local.morphemes, _kept_pos_ids


def _all_pos(dictionary) -> Iterator[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    pos_id = 0
    while (pos := dictionary.pos_of(pos_id)) is not None:
        yield pos
        pos_id += 1


_english_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    # Pure-Python Snowball is slow and English words repeat a lot: memoise.
    return _english_stemmer.stemWord(word)


def _read_word_list(path: Path) -> frozenset[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


class TextAnalyzer:
    """Turns text into canonical terms. Thread-safe; cheap to share.

    Parameters
    ----------
    synonyms : path of a TSV file (canonical<TAB>comma-separated variants) or None for none.
    stopwords : path of a file with one Japanese normalised form per line, or None.
    """

    def __init__(self, synonyms: Path | None = DATA_DIR / "synonyms.tsv",
                 stopwords: Path | None = DATA_DIR / "stopwords_ja.txt") -> None:
        self.synonyms = synonyms
        self.stopwords = stopwords
        self._stop_ja = _read_word_list(stopwords) if stopwords else frozenset()
        self._stop_en = frozenset(ENGLISH_STOP_WORDS)
        self._single: dict[str, str] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        if synonyms:
            self._load_synonyms(synonyms)

    # -- public -------------------------------------------------------------------------
    def analyze(self, text: str) -> Analysis:
        return self._apply_synonyms(self._raw_tokens(text))

    def analyze_pair(self, title: str, body: str) -> tuple[Analysis, Analysis]:
        """Title and body in one pass (one SudachiPy call), split back by offset."""
        title = unicodedata.normalize("NFKC", title or "")
        raw = self._raw_tokens(f"{title}\n{body or ''}", normalized=False, with_offsets=True)
        cut = len(title)
        split = next((i for i, (_, _, begin) in enumerate(raw) if begin > cut), len(raw))
        return (self._apply_synonyms([(t, s) for t, s, _ in raw[:split]]),
                self._apply_synonyms([(t, s) for t, s, _ in raw[split:]]))

    def analyze_many(self, pairs: Sequence[tuple[str, str]], n_jobs: int = 1) -> list[tuple[Analysis, Analysis]]:
        """analyze_pair over many documents; n_jobs > 1 uses worker processes (bulk fits only)."""
        if n_jobs <= 1 or len(pairs) < 2000:
            return [self.analyze_pair(title, body) for title, body in pairs]
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing

        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        with ProcessPoolExecutor(n_jobs, mp_context=context, initializer=_init_worker,
                                 initargs=(self.synonyms, self.stopwords)) as pool:
            packed = pool.map(_worker_analyze_chunk, _chunks(pairs, 1024))
            return [_unpack(item) for chunk in packed for item in chunk]

    def __call__(self, text: str) -> list[str]:
        return list(self.analyze(text).terms)

    # -- stages -------------------------------------------------------------------------
    def _raw_tokens(self, text: str, normalized: bool = False, with_offsets: bool = False) -> list:  # type: ignore[type-arg]
        """(normalised token, surface[, offset]) in text order, before synonyms.

        ASCII runs are blanked out (same length, so offsets hold) before the single SudachiPy
        call, and analysed as English; the two streams are merged by offset.
        """
        text = unicodedata.normalize("NFKC", text or "")
        english: list[tuple[str, str, int]] = []
        if _HAS_ASCII_ALNUM.search(text):
            pieces = []
            position = 0
            for match in _ASCII_RUN.finditer(text):
                english.extend(self._english(match.group(), match.start()))
                pieces.append(text[position:match.start()])
                pieces.append(" " * (match.end() - match.start()))
                position = match.end()
            pieces.append(text[position:])
            japanese_text = "".join(pieces)
        else:
            japanese_text = text
        tokens = self._japanese(japanese_text) if japanese_text.strip() else []
        if english:
            tokens = sorted(tokens + english, key=_offset)
        if with_offsets:
            return tokens
        return [(token, surface) for token, surface, _ in tokens]

    def _japanese(self, text: str) -> list[tuple[str, str, int]]:
        tokenizer, morphemes, kept_pos = _sudachi()
        stop = self._stop_ja
        out: list[tuple[str, str, int]] = []
        append = out.append
        for start in range(0, len(text), _SUDACHI_MAX_CHARS):
            chunk = text[start:start + _SUDACHI_MAX_CHARS]
            tokenizer.tokenize(chunk, out=morphemes)
            for morpheme in morphemes:
                if morpheme.part_of_speech_id() not in kept_pos:
                    continue
                normalized = morpheme.normalized_form()
                if normalized in stop or (len(normalized) == 1 and not _is_kanji(normalized)):
                    continue
                begin = morpheme.begin()
                append((normalized, chunk[begin:morpheme.end()], start + begin))
        return out

    def _english(self, run: str, offset: int) -> list[tuple[str, str, int]]:
        out = []
        for match in _ASCII_WORD.finditer(run):
            word = match.group()
            # Short hyphenated words are one unit (wi-fi, e-mail); longer ones are compounds.
            parts = [word] if len(word) <= 6 else word.split("-")
            for surface in parts:
                surface = surface.strip("'")
                key = surface.lower().replace("-", "")
                if len(key) < 2 or key.isdigit() or key in self._stop_en:
                    continue
                out.append((_stem(key), surface, offset + match.start()))
        return out

    def _apply_synonyms(self, raw: list[tuple[str, str]]) -> Analysis:
        terms: list[str] = []
        surfaces: dict[str, str] = {}
        single, phrases = self._single, self._phrases
        index, length = 0, len(raw)
        while index < length:
            token, surface = raw[index]
            candidates = phrases.get(token)
            if candidates:
                for phrase, canonical in candidates:
                    end = index + len(phrase)
                    if end <= length and all(raw[index + k][0] == phrase[k] for k in range(1, len(phrase))):
                        terms.append(canonical)
                        if canonical not in surfaces:
                            surfaces[canonical] = "".join(_join_surfaces(raw[index:end]))
                        index = end
                        break
                else:
                    candidates = None
                if candidates:
                    continue
            term = single.get(token) or _intern(token)
            terms.append(term)
            if term not in surfaces:
                surfaces[term] = surface
            index += 1
        return Analysis(tuple(terms), surfaces)

    # -- synonym table ------------------------------------------------------------------
    def _load_synonyms(self, path: Path) -> None:
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            canonical, _, variants = line.partition("\t")
            canonical = canonical.strip()
            if not canonical:
                raise ValueError(f"{path}:{line_number}: empty canonical term")
            for variant in [canonical, *(v.strip() for v in variants.split(","))]:
                if not variant:
                    continue
                tokens = tuple(token for token, _ in self._raw_tokens(variant))
                if len(tokens) == 1:
                    self._single.setdefault(tokens[0], canonical)
                elif 1 < len(tokens) <= _MAX_PHRASE:
                    self._phrases.setdefault(tokens[0], []).append((tokens, canonical))
        for candidates in self._phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))


def _is_kanji(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff"


def _join_surfaces(pairs: Iterable[tuple[str, str]]) -> Iterator[str]:
    previous_ascii = False
    for _, surface in pairs:
        is_ascii = surface.isascii()
        if is_ascii and previous_ascii:
            yield " "
        yield surface
        previous_ascii = is_ascii


def _offset(token: tuple[str, str, int]) -> int:
    return token[2]


_worker_analyzer: TextAnalyzer | None = None


def _init_worker(synonyms: Path | None, stopwords: Path | None) -> None:
    global _worker_analyzer
    _worker_analyzer = TextAnalyzer(synonyms=synonyms, stopwords=stopwords)


_SEPARATOR = "\x1f"


def _chunks(items: Sequence[tuple[str, str]], size: int) -> Iterator[Sequence[tuple[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _pack(analysis: Analysis) -> tuple[str, str]:
    # One string per field pickles far faster than tuples and dicts of many small strings.
    return _SEPARATOR.join(analysis.terms), _SEPARATOR.join(
        f"{term}{_SEPARATOR}{surface}" for term, surface in analysis.surfaces.items()
    )


def _unpack(packed: tuple[tuple[str, str], tuple[str, str]]) -> tuple[Analysis, Analysis]:
    return _unpack_one(packed[0]), _unpack_one(packed[1])


def _unpack_one(packed: tuple[str, str]) -> Analysis:
    terms, surfaces = packed
    flat = surfaces.split(_SEPARATOR) if surfaces else []
    intern = sys.intern
    return Analysis(tuple(intern(t) for t in terms.split(_SEPARATOR)) if terms else (),
                    {intern(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)})


def _worker_analyze_chunk(pairs: Sequence[tuple[str, str]]) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    assert _worker_analyzer is not None
    return [(_pack(title), _pack(body)) for title, body in map(lambda p: _worker_analyzer.analyze_pair(*p), pairs)]
