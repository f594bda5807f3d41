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
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

DATA_DIR = Path(__file__).resolve().parent / "data"

_ASCII_RUN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&.\-]*")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")
_MAX_PHRASE = 4
# Sudachi refuses inputs over about 49 KB; long descriptions are analysed in slices.
_SUDACHI_MAX_CHARS = 12_000


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
_pos_matcher = None
_local = _SudachiLocal()


def _sudachi():  # type: ignore[no-untyped-def]
    global _dictionary, _pos_matcher
    if _local.tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
                _pos_matcher = _dictionary.pos_matcher(_keep_pos)
        _local.tokenizer = _dictionary.tokenizer(SplitMode.C, fields={"pos", "normalized_form"})
        _local.morphemes = _local.tokenizer.tokenize("")
    return _local.tokenizer, _local.morphemes, _pos_matcher


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    return snowballstemmer.stemmer("english")


def _read_word_list(name: str) -> frozenset[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
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
        self._stop_ja = _read_word_list(stopwords.name) if stopwords else frozenset()
        self._stop_en = frozenset(ENGLISH_STOP_WORDS)
        self._single: dict[str, str] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        if synonyms:
            self._load_synonyms(synonyms)

    # -- public -------------------------------------------------------------------------
    def analyze(self, text: str) -> Analysis:
        raw = list(self._raw_tokens(text))
        return self._apply_synonyms(raw)

    def __call__(self, text: str) -> list[str]:
        return list(self.analyze(text).terms)

    # -- stages -------------------------------------------------------------------------
    def _raw_tokens(self, text: str) -> Iterator[tuple[str, str]]:
        """(normalised token, surface) pairs in text order, before synonyms."""
        text = unicodedata.normalize("NFKC", text or "")
        position = 0
        for match in _ASCII_RUN.finditer(text):
            if match.start() > position:
                yield from self._japanese(text[position:match.start()])
            yield from self._english(match.group())
            position = match.end()
        if position < len(text):
            yield from self._japanese(text[position:])

    def _japanese(self, text: str) -> Iterator[tuple[str, str]]:
        if not text.strip():
            return
        tokenizer, morphemes, matcher = _sudachi()
        stop = self._stop_ja
        for start in range(0, len(text), _SUDACHI_MAX_CHARS):
            chunk = text[start:start + _SUDACHI_MAX_CHARS]
            tokenizer.tokenize(chunk, out=morphemes)
            for morpheme in morphemes:
                if not matcher(morpheme):
                    continue
                normalized = morpheme.normalized_form()
                if normalized in stop or len(normalized) == 1 and not _is_kanji(normalized):
                    continue
                yield normalized, chunk[morpheme.begin():morpheme.end()]

    def _english(self, run: str) -> Iterator[tuple[str, str]]:
        stem = _stemmer().stemWord
        for word in _ASCII_WORD.findall(run):
            # Short hyphenated words are one unit (wi-fi, e-mail); longer ones are compounds.
            parts = [word] if len(word) <= 6 else word.split("-")
            for surface in parts:
                surface = surface.strip("'")
                key = surface.lower().replace("-", "")
                if len(key) < 2 or key.isdigit() or key in self._stop_en:
                    continue
                yield stem(key), surface

    def _apply_synonyms(self, raw: list[tuple[str, str]]) -> Analysis:
        terms: list[str] = []
        surfaces: dict[str, str] = {}
        index = 0
        while index < len(raw):
            token, surface = raw[index]
            matched = False
            for phrase, canonical in self._phrases.get(token, ()):
                end = index + len(phrase)
                if end <= len(raw) and all(raw[index + k][0] == phrase[k] for k in range(1, len(phrase))):
                    terms.append(canonical)
                    surfaces.setdefault(canonical, "".join(_join_surfaces(raw[index:end])))
                    index = end
                    matched = True
                    break
            if matched:
                continue
            term = self._single.get(token, token)
            terms.append(term)
            surfaces.setdefault(term, surface)
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
