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

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from sqlalchemy import ColumnElement, and_, case, event, inspect, literal, or_
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
                name_matches: Sequence[ColumnElement[bool] | None] = ()) -> TextSearch | None:
    """Conditions for a query on `model` (Challenge or Technology); None for an empty query.

    `name_matches` holds, per word of the query (in `words` order), a condition saying that the
    record's municipality or organisation is named by it (None: none is).
    """
    query_words = words(query)
    if not query_words:
        return None
    conditions, scores = [], []
    for index, word in enumerate(query_words):
        as_typed_title, as_typed_text, through_terms = [], [], []
        forms = [word]
        if _KATAKANA.match(word):
            forms.append(_to_hiragana(word))
        elif _HIRAGANA.match(word):
            forms.append(_to_katakana(word))
        for form in forms:
            if form != word:
                pass  # the other kana only through the analyser: ﾊﾞｽ as ばす would find 伸ばす
            elif _is_short_latin(form):
                as_typed_text.append(_has_tokens(model, [fold(t) for t in analyzer.index_tokens(form)] or [form]))
                as_typed_title.append(and_(as_typed_text[-1], _whole_word(model.search_title, form)))
            else:
                as_typed_text.append(model.search_text.contains(form, autoescape=True))
                as_typed_title.append(model.search_title.contains(form, autoescape=True))
            terms = analyzer.search_terms(form)
            if terms:
                through_terms.append(and_(*(or_(*(_written(model, surface, tokens, form == word)
                                                  for surface, tokens in variants))
                                            for _, variants in terms)))
        name = name_matches[index] if index < len(name_matches) else None
        ways = [*as_typed_text, *through_terms, *([name] if name is not None else [])]
        conditions.append(or_(*ways))
        scores.append(case((or_(*as_typed_title), 4), (or_(*as_typed_text), 2), else_=1))
    score: ColumnElement[Any] = scores[0]
    for extra in scores[1:]:
        score = score + extra
    return TextSearch(and_(*conditions), score)


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


__all__ = ["TextSearch", "fold", "matches", "matching_ids", "normalize", "search_columns", "text_search", "words"]
