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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    """Terms in order (with repeats), whole compounds, and per term the first surface seen.

    `terms` are words at SudachiPy's middle and finest granularity (大腸がん, 大腸, がん);
    `parts` are whole noun compounds (山間部, 乗合タクシー), which the engine counts in a block
    of their own beside the words they are made of.
    """

    terms: tuple[str, ...]
    surfaces: dict[str, str] = field(default_factory=dict)
    parts: tuple[str, ...] = ()


# Part-of-speech classes: nouns and noun affixes chain into compounds; content verbs and
# adjectives are terms on their own (by lemma); everything else breaks a compound.
NOUN, AFFIX, WORD, OTHER = 1, 2, 3, 0
# Token kinds: a word (matched against the synonym table's phrases), a whole compound (its own
# block), a finer piece of a word (a term, but never part of a phrase).
WORD_TOKEN, COMPOUND_TOKEN, PIECE = 0, 1, 2


def _pos_class(pos: tuple[str, ...]) -> int:
    major, minor = pos[0], pos[1]
    if major == "名詞":
        return NOUN if minor in ("普通名詞", "固有名詞") else OTHER
    if major in ("接尾辞", "接頭辞"):
        return AFFIX if pos[1] in ("名詞的", "*") else OTHER
    if major in ("動詞", "形容詞", "形状詞"):
        return WORD if minor == "一般" else OTHER
    return OTHER


class _SudachiLocal(threading.local):
    """SudachiPy tokenizers are not thread-safe: one per thread, sharing the dictionary."""

    tokenizer: Any = None  # sudachipy has no type information
    morphemes: Any = None


_dictionary_lock = threading.Lock()
_dictionary = None
_pos_classes: dict[int, int] = {}
_local = _SudachiLocal()


def _sudachi():  # type: ignore[no-untyped-def]
    global _dictionary, _pos_classes
    if _local.tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
                # A dict of POS ids is measurably faster per morpheme than a PosMatcher call.
                _pos_classes = {
                    pos_id: cls for pos_id, pos in enumerate(_all_pos(_dictionary)) if (cls := _pos_class(pos))
                }
        _local.tokenizer = _dictionary.tokenizer(SplitMode.C)
        _local.morphemes = _local.tokenizer.tokenize("")
    return _local.tokenizer, _local.morphemes, _pos_classes


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
                 stopwords: Path | None = DATA_DIR / "stopwords_ja.txt",
                 brands: Path | None = DATA_DIR / "brands.txt",
                 stopwords_en: Path | None = DATA_DIR / "stopwords_en.txt") -> None:
        self.synonyms = synonyms
        self.stopwords = stopwords
        self.brands = brands
        self.stopwords_en = stopwords_en
        self._stop_ja = _read_word_list(stopwords) if stopwords else frozenset()
        extra_en = _read_word_list(stopwords_en) if stopwords_en else frozenset()
        self._stop_en = frozenset(ENGLISH_STOP_WORDS) | extra_en
        self._brands = _read_word_list(brands) if brands else frozenset()
        self._single: dict[str, str] = {}
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        # canonical -> every way the table writes it, with the word tokens each analyses to (search).
        self._variants: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self._search_cache: dict[str, list[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]]] = {}
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
        split = next((i for i, (_, _, begin, _) in enumerate(raw) if begin > cut), len(raw))
        return (self._apply_synonyms([(t, s, p) for t, s, _, p in raw[:split]]),
                self._apply_synonyms([(t, s, p) for t, s, _, p in raw[split:]]))

    def analyze_many(self, pairs: Sequence[tuple[str, str]], n_jobs: int = 1) -> list[tuple[Analysis, Analysis]]:
        """analyze_pair over many documents; n_jobs > 1 uses worker processes (bulk fits only)."""
        if n_jobs <= 1 or len(pairs) < _PARALLEL_FROM:
            return [self.analyze_pair(title, body) for title, body in pairs]
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        global _worker_analyzer
        if "fork" in multiprocessing.get_all_start_methods():
            # Forked workers inherit this analyser (tables and the SudachiPy dictionary already
            # loaded) instead of building their own; gc.freeze keeps their collections from
            # copying every inherited page.
            import gc

            _worker_analyzer = self
            gc.freeze()
            try:
                with ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                    packed = pool.map(_worker_analyze_chunk, _chunks(pairs, 1024))
                    return [_unpack(item) for chunk in packed for item in chunk]
            finally:
                _worker_analyzer = None
                gc.unfreeze()
        with ProcessPoolExecutor(n_jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                                 initargs=(self.synonyms, self.stopwords, self.brands, self.stopwords_en)) as pool:
            packed = pool.map(_worker_analyze_chunk, _chunks(pairs, 1024))
            return [_unpack(item) for chunk in packed for item in chunk]

    def __call__(self, text: str) -> list[str]:
        return list(self.analyze(text).terms)

    def index_tokens(self, text: str) -> list[str]:
        """Every normalised token of `text` before synonyms (words, their pieces, whole compounds):
        what a search index stores, so that the synonym table can change without re-indexing."""
        return [token for token, _, _ in self._raw_tokens(text)]

    def search_terms(self, text: str) -> list[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]]:
        """For a search word: each canonical term it holds, with every (surface, word tokens) that
        writes it, from the synonym table and as written (みまもり -> 見守り: 見守り, 安否確認, みまもり, …).

        Only whole words count (not their finer pieces or compounds), so a word found through a
        synonym is not also required to contain the pieces of the word typed.
        """
        cached = self._search_cache.get(text)
        if cached is not None:
            return cached
        raw = [(token, surface, kind) for token, surface, kind in self._raw_tokens(text) if kind == WORD_TOKEN]
        analysis = self._apply_synonyms(raw)
        out = []
        for term in dict.fromkeys(analysis.terms):
            written = [(term, (term,))]
            surface = analysis.surfaces.get(term)
            if surface and surface != term:
                written.append((surface, tuple(t for t, s, _ in raw if s == surface) or (term,)))
            variants = dict.fromkeys([*written, *self._variants.get(term, ())])
            out.append((term, tuple(variants)))
        if len(self._search_cache) > 10_000:  # search words repeat; a bounded memo, not a leak
            self._search_cache.clear()
        self._search_cache[text] = out
        return out

    # -- stages -------------------------------------------------------------------------
    def _raw_tokens(self, text: str, normalized: bool = False, with_offsets: bool = False) -> list[Any]:
        """(normalised token, surface[, offset], kind) in text order, before synonyms.

        ASCII runs are blanked out (same length, so offsets hold) before the single SudachiPy
        call, and analysed as English; the two streams are merged by offset.
        """
        text = unicodedata.normalize("NFKC", text or "")
        english: list[tuple[str, str, int, int]] = []
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
        return [(token, surface, kind) for token, surface, _, kind in tokens]

    def _japanese(self, text: str) -> list[tuple[str, str, int, int]]:
        """(term, surface, offset, kind): words, their finer pieces, and whole noun compounds.

        Consecutive nouns and noun affixes form one compound (山間+部 -> 山間部, 乗合+タクシー).
        A one-character noun or affix only ever counts inside its compound, never alone, unless
        it stands alone as a word (駅, 鹿). The compound's pieces of two or more characters
        (and SudachiPy's finest split of long words, 大腸がん -> 大腸, がん) are parts.
        Light words (data/stopwords_ja.txt) are never terms on their own, but stay inside
        the compounds they belong to (山間部).
        """
        tokenizer, morphemes, classes = _sudachi()
        stop = self._stop_ja
        out: list[tuple[str, str, int, int]] = []
        append = out.append
        for start in range(0, len(text), _SUDACHI_MAX_CHARS):
            chunk = text[start:start + _SUDACHI_MAX_CHARS]
            tokenizer.tokenize(chunk, out=morphemes)
            run: list = []  # noun morphemes of the current compound
            for morpheme in morphemes:
                cls = classes.get(morpheme.part_of_speech_id(), OTHER)
                if cls in (NOUN, AFFIX):
                    run.append((morpheme, morpheme.normalized_form(), cls))
                    continue
                if run:
                    self._flush_compound(run, chunk, start, append)
                    run = []
                if cls == WORD:
                    lemma = morpheme.normalized_form()
                    if len(lemma) > 1 and lemma not in stop:
                        # One lemma, one term; quote the lemma rather than a conjugated stem (知ら,
                        # 走っ), but keep the noun-like continuative form as written (見守り).
                        noun_like = morpheme.part_of_speech()[5] == "連用形-一般"
                        quoted = morpheme.surface() if noun_like else morpheme.dictionary_form()
                        append((lemma, quoted, start + morpheme.begin(), WORD_TOKEN))
            if run:
                self._flush_compound(run, chunk, start, append)
        return out

    def _flush_compound(self, run: list[Any], chunk: str, start: int, append: Callable[..., None]) -> None:
        if not run:
            return
        stop = self._stop_ja
        for morpheme, normalized, cls in run:
            if len(normalized) == 1:
                # A one-character noun is a term only when it stands alone as a word (駅で, 鹿が),
                # not when it sticks to a number or another word (1人, 〇〇園).
                begin, end = morpheme.begin(), morpheme.end()
                alone = not (begin > 0 and _sticks(chunk[begin - 1])) and not (end < len(chunk) and _sticks(chunk[end]))
                if len(run) == 1 and cls == NOUN and _is_kanji(normalized) and normalized not in stop and alone:
                    append((normalized, morpheme.surface(), start + begin, WORD_TOKEN))
                continue
            if normalized not in stop:
                append((normalized, chunk[morpheme.begin():morpheme.end()], start + morpheme.begin(), WORD_TOKEN))
            if len(morpheme) >= 3:
                self._append_splits(morpheme, start, append)
        if len(run) > 1:
            begin, end = run[0][0].begin(), run[-1][0].end()
            whole = "".join(normalized for _, normalized, _ in run)
            if whole not in stop:
                # The whole compound is a part: weaker (often unique) evidence on top of its words.
                append((_intern(whole), chunk[begin:end], start + begin, COMPOUND_TOKEN))

    def _append_splits(self, morpheme: Any, start: int, append: Callable[..., None]) -> None:
        from sudachipy import SplitMode

        pieces = morpheme.split(SplitMode.A)
        if len(pieces) < 2:
            return
        stop = self._stop_ja
        for piece in pieces:
            normalized = piece.normalized_form()
            if len(normalized) > 1 and normalized not in stop:
                append((normalized, piece.surface(), start + piece.begin(), PIECE))

    def _english(self, run: str, offset: int) -> list[tuple[str, str, int, int]]:
        out = []
        for match in _ASCII_WORD.finditer(run):
            word = match.group()
            # Short hyphenated words are one unit (wi-fi, e-mail); longer ones are compounds.
            parts = [word] if len(word) <= 6 else word.split("-")
            for surface in parts:
                surface = surface.strip("'")
                if surface in self._brands:
                    # A product name as its owner writes it ("LINE") is not the common word
                    # ("line"): it keeps its case, so the two never meet.
                    out.append((surface, surface, offset + match.start(), WORD_TOKEN))
                    continue
                key = surface.lower().replace("-", "")
                if len(key) < 2 or key.isdigit() or key in self._stop_en:
                    continue
                out.append((_stem(key), surface, offset + match.start(), WORD_TOKEN))
        return out

    def _apply_synonyms(self, raw: list[tuple[str, str, int]]) -> Analysis:
        terms: list[str] = []
        surfaces: dict[str, str] = {}
        single, phrases = self._single, self._phrases
        parts = tuple(single.get(token) or _intern(token) for token, _, kind in raw if kind == COMPOUND_TOKEN)
        for (token, surface, kind) in raw:
            if kind == COMPOUND_TOKEN:
                term = single.get(token) or token
                if term not in surfaces:
                    surfaces[term] = surface
        main = [(token, surface) for token, surface, kind in raw if kind == WORD_TOKEN]
        seen: set[str] = set()
        index, length = 0, len(main)
        while index < length:
            token, surface = main[index]
            candidates = phrases.get(token)
            if candidates:
                for phrase, canonical in candidates:
                    end = index + len(phrase)
                    if end <= length and all(main[index + k][0] == phrase[k] for k in range(1, len(phrase))):
                        terms.append(canonical)
                        if canonical not in seen:
                            seen.add(canonical)
                            surfaces[canonical] = "".join(_join_surfaces(main[index:end]))
                        index = end
                        break
                else:
                    candidates = None
                if candidates:
                    continue
            term = single.get(token) or _intern(token)
            terms.append(term)
            # A whole word's surface wins over the same term seen as a compound or a piece.
            if term not in seen:
                seen.add(term)
                surfaces[term] = surface
            index += 1
        for token, surface, kind in raw:
            # Pieces stay as written: mapped through the synonym table, 高齢 (from 高齢者) would
            # count 高齢者 twice.
            if kind == PIECE:
                terms.append(_intern(token))
                if token not in surfaces:
                    surfaces[token] = surface
        return Analysis(tuple(terms), surfaces, parts)

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
                tokens = tuple(token for token, _, kind in self._raw_tokens(variant) if kind == WORD_TOKEN)
                if tokens:
                    self._variants.setdefault(canonical, []).append((variant, tokens))
                if len(tokens) == 1:
                    self._single.setdefault(tokens[0], canonical)
                elif 1 < len(tokens) <= _MAX_PHRASE:
                    self._phrases.setdefault(tokens[0], []).append((tokens, canonical))
        for candidates in self._phrases.values():
            candidates.sort(key=lambda item: -len(item[0]))


def _is_kanji(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff"


def _sticks(character: str) -> bool:
    """A neighbour that makes a one-character noun part of a longer unit: digit, letter, kanji, katakana."""
    return character.isalnum() and not ("\u3040" <= character <= "\u309f")


def _join_surfaces(pairs: Iterable[tuple[str, str]]) -> Iterator[str]:
    previous_ascii = False
    for _, surface in pairs:
        is_ascii = surface.isascii()
        if is_ascii and previous_ascii:
            yield " "
        yield surface
        previous_ascii = is_ascii


def _offset(token: tuple[str, str, int, int]) -> int:
    return token[2]


_worker_analyzer: TextAnalyzer | None = None
_PARALLEL_FROM = 2000  # fewer documents are analysed faster than worker processes start


def _init_worker(synonyms: Path | None, stopwords: Path | None, brands: Path | None,
                 stopwords_en: Path | None) -> None:
    global _worker_analyzer
    _worker_analyzer = TextAnalyzer(synonyms=synonyms, stopwords=stopwords, brands=brands, stopwords_en=stopwords_en)


_SEPARATOR = "\x1f"


def _chunks(items: Sequence[tuple[str, str]], size: int) -> Iterator[Sequence[tuple[str, str]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _pack(analysis: Analysis) -> tuple[str, str, str]:
    # One string per field pickles far faster than tuples and dicts of many small strings.
    return _SEPARATOR.join(analysis.terms), _SEPARATOR.join(
        f"{term}{_SEPARATOR}{surface}" for term, surface in analysis.surfaces.items()
    ), _SEPARATOR.join(analysis.parts)


def _unpack(packed: tuple[tuple[str, str, str], tuple[str, str, str]]) -> tuple[Analysis, Analysis]:
    return _unpack_one(packed[0]), _unpack_one(packed[1])


def _unpack_one(packed: tuple[str, str, str]) -> Analysis:
    terms, surfaces, parts = packed
    flat = surfaces.split(_SEPARATOR) if surfaces else []
    intern = sys.intern
    # map/zip rather than Python-level loops: the parent unpacks every document of a bulk fit alone.
    return Analysis(tuple(map(intern, terms.split(_SEPARATOR))) if terms else (),
                    dict(zip(map(intern, flat[::2]), flat[1::2])),
                    tuple(map(intern, parts.split(_SEPARATOR))) if parts else ())


def _worker_analyze_chunk(pairs: Sequence[tuple[str, str]]) -> list[tuple[tuple[str, str, str], tuple[str, str, str]]]:
    assert _worker_analyzer is not None
    return [(_pack(title), _pack(body)) for title, body in (_worker_analyzer.analyze_pair(*p) for p in pairs)]
