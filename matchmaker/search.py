"""Search boxes: words split on spaces, 全角/半角 and kana folded, the engine's analyser and synonyms.

Each issue and technology stores three search columns, written whenever its text changes (a
session hook, so no code path can forget them): its title and its whole text folded (NFKC and
case), and the analyser's normalised tokens before synonyms (` 見守る センサー lpwa `). A query is
split on spaces (全角 spaces too); every word must match, in any field, in one of three ways:

- as typed, folded: a substring of the text (ﾊﾞｽ finds バス, ＬＰＷＡ finds LPWA); a short Latin
  word (three letters or fewer) only as a whole token, so ＮＥＣ never finds coNNECt;
- through the engine's analyser and the current synonym table (built-in plus coordinators'
  pairs): every term of the word, written any way its group writes it (みまもり finds 見守り,
  見守る and 安否確認); the tokens are stored before synonyms, so a vocabulary change needs no
  re-indexing;
- as a municipality or organisation name, the only place where one typo is forgiven.

Results rank by relevance: a word in the title as typed counts most, then in the text as typed,
then through a synonym or a name. All of it is SQL (LIKE on the stored columns), the same on
SQLite and PostgreSQL: no request loops over the rows.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA
from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    case,
    event,
    inspect,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session

from models import Challenge, Technology
from scoring.text import TextAnalyzer

MAX_WORDS = 8
_SHORT_LATIN = 3
_LATIN_TOKEN = re.compile(r"[a-z0-9]+")
_KATAKANA = re.compile(r"^[\u30a1-\u30f6\u30fc]+$")
_HIRAGANA = re.compile(r"^[\u3041-\u3096\u30fc]+$")


def fold(text: str) -> str:
    """NFKC (全角 letters and digits, half-width kana) and case folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def normalize(text: str) -> str:
    return fold(text).replace(" ", "")


def words(query: str) -> list[str]:
    """The words of a query: split on spaces, 全角 ones included (NFKC makes them plain)."""
    return fold(query).split()[:MAX_WORDS]


def _to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


def _to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


def _is_short_latin(word: str) -> bool:
    return word.isascii() and len(word) <= _SHORT_LATIN


# -- names: the only fuzzy part -------------------------------------------------------------
def matches(query: str, names: Iterable[str]) -> bool:
    """True when a query word names this municipality or organisation.

    Latin queries match the start of a whole word of a name (kawachi finds Kawachinagano), with
    one typo forgiven from five letters on (sakia finds Sakai): a Latin query never matches inside
    a word, so sakai is not 大阪 (o-SAKA) and NEC is not coNNECt. Japanese queries match anywhere
    in a name or its reading (either kana), and from four characters on with one edit.
    """
    q = normalize(query)
    if not q:
        return False
    if q.isascii():
        for name in names:
            for token in _name_forms(name)[0]:
                if token.startswith(q) or (len(q) >= 5 and OSA.distance(q, token[:len(q)]) <= 1):
                    return True
        return False
    variants = {q, _to_hiragana(q)}
    threshold = 100.0 * (1 - 1 / len(q)) - 0.01
    for name in names:
        candidate = _name_forms(name)[1]
        if not candidate:
            continue
        if any(v in candidate for v in variants):
            return True
        if len(q) >= 4 and fuzz.partial_ratio(_to_hiragana(q), candidate) >= threshold:
            return True
    return False


@functools.lru_cache(maxsize=8192)
def _name_forms(name: str | None) -> tuple[tuple[str, ...], str]:
    """A name's Latin words and its folded form (hiragana for kana): names repeat on every request."""
    folded = normalize(name or "")
    return tuple(_LATIN_TOKEN.findall(fold(name or ""))), _to_hiragana(folded)


def matching_ids(query: str, candidates: Iterable[tuple[int, Iterable[str]]]) -> set[int]:
    return {candidate_id for candidate_id, names in candidates if matches(query, names)}


class NameIndex:
    """`matching_ids` over a fixed set of names, answered without a Python loop over them:
    Latin words sorted for prefix lookups (and, per query length, their prefixes for the one typo
    through rapidfuzz's C loop), folded names joined into one string for substring lookups, and
    rapidfuzz's `partial_ratio` over the folded names for a Japanese typo. Built once per set of
    names (see `name_index`), so a search costs the lookups, not a pass over every organisation."""

    def __init__(self, candidates: Iterable[tuple[int, Iterable[str]]]) -> None:
        tokens: dict[str, set[int]] = {}
        folded: list[tuple[str, int]] = []
        for candidate_id, names in candidates:
            for name in names:
                latin, kana = _name_forms(name)
                for token in latin:
                    tokens.setdefault(token, set()).add(candidate_id)
                if kana:
                    folded.append((kana, candidate_id))
        self._tokens = sorted(tokens)
        self._token_ids = [tokens[t] for t in self._tokens]
        self._prefixes: dict[int, tuple[list[str], list[set[int]]]] = {}
        self._folded = [f for f, _ in folded]
        self._folded_ids = [i for _, i in folded]
        self._joined = "\n".join(self._folded)
        self._starts = list(itertools.accumulate((len(f) + 1 for f in self._folded[:-1]), initial=0))

    def ids(self, query: str) -> set[int]:
        q = normalize(query)
        if not q:
            return set()
        found: set[int] = set()
        if q.isascii():
            start = bisect.bisect_left(self._tokens, q)
            for position in range(start, len(self._tokens)):
                if not self._tokens[position].startswith(q):
                    break
                found |= self._token_ids[position]
            if len(q) >= 5:
                prefixes, owners = self._prefixes_of(len(q))
                for _, _, position in process.extract(q, prefixes, scorer=OSA.distance, score_cutoff=1, limit=None):
                    found |= owners[position]
            return found
        for variant in {q, _to_hiragana(q)}:
            if "\n" in variant:
                continue
            at = self._joined.find(variant)
            while at != -1:
                found.add(self._folded_ids[bisect.bisect_right(self._starts, at) - 1])
                at = self._joined.find(variant, at + 1)
        if len(q) >= 4:
            threshold = 100.0 * (1 - 1 / len(q)) - 0.01
            for _, _, position in process.extract(_to_hiragana(q), self._folded, scorer=fuzz.partial_ratio,
                                                  score_cutoff=threshold, limit=None):
                found.add(self._folded_ids[position])
        return found

    def _prefixes_of(self, length: int) -> tuple[list[str], list[set[int]]]:
        if length not in self._prefixes:
            owners: dict[str, set[int]] = {}
            for token, ids in zip(self._tokens, self._token_ids, strict=True):
                owners.setdefault(token[:length], set()).update(ids)
            self._prefixes[length] = (list(owners), list(owners.values()))
        return self._prefixes[length]


_name_indexes: dict[tuple[str, Any], NameIndex] = {}
_name_indexes_lock = threading.Lock()


def name_index(kind: str, version: Any, load: Callable[[], Iterable[tuple[int, Iterable[str]]]]) -> NameIndex:
    """The process's index of `kind` names at `version` (anything that changes when a name does:
    the caller reads it in one cheap query); built from `load()` when the version moves."""
    with _name_indexes_lock:
        index = _name_indexes.get((kind, version))
    if index is None:
        index = NameIndex(load())
        with _name_indexes_lock:
            for key in [k for k in _name_indexes if k[0] == kind]:
                del _name_indexes[key]
            _name_indexes[(kind, version)] = index
    return index


# -- the stored columns ---------------------------------------------------------------------
_index_lock = threading.Lock()
_index_analyzer: TextAnalyzer | None = None


def _indexer() -> TextAnalyzer:
    global _index_analyzer
    with _index_lock:
        if _index_analyzer is None:
            # Tokens are stored before synonyms: no table needed here.
            _index_analyzer = TextAnalyzer(synonyms=None)
        return _index_analyzer


def search_columns(title: str, *texts: str) -> dict[str, str]:
    """The three search columns of a record."""
    whole = "\n".join([title or "", *(t or "" for t in texts)])
    tokens = dict.fromkeys(fold(t) for t in _indexer().index_tokens(whole))
    return {"search_title": fold(title), "search_text": fold(whole),
            "search_tokens": " " + " ".join(t for t in tokens if " " not in t) + " "}


_SOURCES: dict[type, tuple[str, ...]] = {Challenge: ("title", "description", "target"),
                                         Technology: ("title", "description")}


@event.listens_for(Session, "before_flush")
def _index_changed(session: Session, _context: Any, _instances: Any) -> None:
    for instance in (*session.new, *session.dirty):
        sources = _SOURCES.get(type(instance))
        if sources is None:
            continue
        state = inspect(instance)
        if instance in session.new or any(state.attrs[name].history.has_changes() for name in sources):
            for column, value in search_columns(*(getattr(instance, name) or "" for name in sources)).items():
                setattr(instance, column, value)


# -- the query ----------------------------------------------------------------------------
@dataclass(frozen=True)
class TextSearch:
    """The WHERE clause (every word matches) and a relevance score to order by."""

    where: ColumnElement[bool]
    score: ColumnElement[Any]


def text_search(model: Any, query: str, analyzer: TextAnalyzer,
                name_matches: Sequence[ColumnElement[bool] | None] = (), *, trigram_table: bool = False) -> TextSearch | None:
    """Conditions for a query on `model` (Challenge or Technology); None for an empty query.

    `name_matches` holds, per word of the query (in `words` order), a condition saying that the
    record's municipality or organisation is named by it (None: none is). With `trigram_table`
    (SQLite, migration 0017), each word also limits the rows to those its trigram index finds for
    any of its ways, so the exact conditions are checked only on those, not on every row.
    """
    query_words = words(query)
    if not query_words:
        return None
    conditions, scores = [], []
    for index, word in enumerate(query_words):
        as_typed_title, as_typed_text, through_terms = [], [], []
        rows: list[Any] | None = []  # a superset of the word's rows: trigram lookups (or a select of ids)
        forms = [word]
        if _KATAKANA.match(word):
            forms.append(_to_hiragana(word))
        elif _HIRAGANA.match(word):
            forms.append(_to_katakana(word))
        for form in forms:
            if form != word:
                pass  # the other kana only through the analyser: ﾊﾞｽ as ばす would find 伸ばす
            elif _is_short_latin(form):
                tokens = [fold(t) for t in analyzer.index_tokens(form)] or [form]
                as_typed_text.append(_has_tokens(model, tokens))
                as_typed_title.append(and_(as_typed_text[-1], _whole_word(model.search_title, form)))
                rows = _union(rows, _token_rows(model, tokens))
            else:
                as_typed_text.append(model.search_text.contains(form, autoescape=True))
                as_typed_title.append(model.search_title.contains(form, autoescape=True))
                rows = _union(rows, [_text_rows(model, form)])
            terms = analyzer.search_terms(form)
            if terms:
                through_terms.append(and_(*(or_(*(_written(model, surface, tokens, form == word)
                                                  for surface, tokens in variants))
                                            for _, variants in terms)))
                # Every group must match: the first group's variants hold all the rows.
                for surface, surface_tokens in terms[0][1]:
                    rows = _union(rows, _written_rows(model, surface, surface_tokens, form == word))
        name = name_matches[index] if index < len(name_matches) else None
        ways = [*as_typed_text, *through_terms, *([name] if name is not None else [])]
        conditions.append(or_(*ways))
        if name is not None:
            rows = _union(rows, [select(model.id).where(name)])
        if trigram_table and rows:
            lookups = list(dict.fromkeys(r for r in rows if isinstance(r, tuple)))
            selects = [_trigram_select(model, *lookup) for lookup in lookups] + [r for r in rows if not isinstance(r, tuple)]
            conditions.append(model.id.in_(union(*selects)) if len(selects) > 1 else model.id.in_(selects[0]))
        scores.append(case((or_(*as_typed_title), 4), (or_(*as_typed_text), 2), else_=1))
    score: ColumnElement[Any] = scores[0]
    for extra in scores[1:]:
        score = score + extra
    return TextSearch(and_(*conditions), score)


# The trigram tables of migration 0017 (SQLite only; not mapped: the ORM never writes them).
_trigram_metadata = MetaData()
_TRIGRAM_TABLES = {
    name: Table(f"{name}_fts", _trigram_metadata, Column("rowid", Integer), Column("search_text", Text),
                Column("search_tokens", Text))
    for name in ("challenges", "technologies")}


def _trigram(model: Any) -> Table:
    return _TRIGRAM_TABLES[model.__tablename__]


def _union(rows: list[Any] | None, more: list[Any] | None) -> list[Any] | None:
    """Candidate lookups together; None (one of them cannot be looked up) wins."""
    if rows is None or more is None or any(r is None for r in (*rows, *more)):
        return None
    return rows + more


def _like_pattern(text: str) -> tuple[str, str | None]:
    if not any(c in text for c in "%_/"):
        return f"%{text}%", None  # the trigram index serves a LIKE without ESCAPE
    return "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%", "/"


def _trigram_select(model: Any, column: str, texts: tuple[str, ...]) -> Select[Any]:
    """The ids of the rows whose `column` contains every one of `texts`, from the trigram table."""
    table = _trigram(model)
    likes = []
    for text in texts:
        pattern, escape = _like_pattern(text)
        likes.append(table.c[column].like(pattern, escape=escape))
    return select(table.c.rowid).where(and_(*likes))


# The trigram index finds a substring of three characters or more; a shorter one would make it
# read every row (slower than the table itself), so such a word is not looked up there at all.
_TRIGRAM = 3


def _text_rows(model: Any, text: str) -> tuple[str, tuple[str, ...]] | None:
    return ("search_text", (text,)) if len(text) >= _TRIGRAM else None


def _token_rows(model: Any, tokens: Sequence[str]) -> list[Any] | None:
    # Every token must be there: the longest alone narrows enough, and " ab " is four characters.
    return [("search_tokens", tuple(f" {token} " for token in tokens))] if tokens else []


def _written_rows(model: Any, surface: str, tokens: Sequence[str], as_written: bool = True) -> list[Any] | None:
    """The rows `_written` can match, through the trigram table."""
    surface = fold(surface)
    folded = [fold(t) for t in tokens]
    if not as_written or _is_short_latin(surface):
        return _token_rows(model, folded)
    return _union([_text_rows(model, surface)], [] if surface.isascii() and " " in surface
                  else _token_rows(model, folded))


def _written(model: Any, surface: str, tokens: Sequence[str], as_written: bool = True) -> ColumnElement[bool]:
    """A synonym variant is in the record: as written, or as the analyser's tokens (only those
    for a word typed in the other kana)."""
    surface = fold(surface)
    if not as_written:
        return _has_tokens(model, [fold(t) for t in tokens])
    if _is_short_latin(surface) or (surface.isascii() and " " in surface):
        # Short Latin words only as whole tokens; Latin phrases only as written (their
        # stop-worded tokens, "check" for "check on", would match far too much).
        return _has_tokens(model, [fold(t) for t in tokens]) if _is_short_latin(surface) \
            else model.search_text.contains(surface, autoescape=True)
    return or_(model.search_text.contains(surface, autoescape=True), _has_tokens(model, [fold(t) for t in tokens]))


def _has_tokens(model: Any, tokens: Sequence[str]) -> ColumnElement[bool]:
    if not tokens:
        return literal(False)
    return and_(*(model.search_tokens.contains(f" {token} ", autoescape=True) for token in tokens))


def _whole_word(column: Any, word: str) -> ColumnElement[bool]:
    # A short Latin word in the title, not inside a longer word: a cheap approximation in SQL
    # (the token condition beside it does the real check); the title bonus only orders results.
    return or_(column == word, column.startswith(word + " ", autoescape=True),
               column.endswith(" " + word, autoescape=True), column.contains(f" {word} ", autoescape=True))


__all__ = ["NameIndex", "TextSearch", "fold", "matches", "matching_ids", "name_index", "normalize", "search_columns",
           "text_search", "words"]
