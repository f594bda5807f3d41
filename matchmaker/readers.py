"""How a spreadsheet cell is read: names of places, fields and organisations, amounts, dates, lists.

Plain functions with no Flask and no database. Each reader returns the value and, when the cell
was not already written exactly that way, how it was understood ("河内長野 → 河内長野市"), so the
import preview can show every interpretation for confirmation. A cell that cannot be read raises
CellError with a message in the reader's language.

Names are compared after NFKC (全角/半角, ｶﾀｶﾅ), case folding and without spaces. A name that is
not exact is accepted only when exactly one candidate fits: a unique completion (河内長野 →
河内長野市) or one clearly best fuzzy match (rapidfuzz), never a guess between two.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, process

from . import japanese_input
from .japanese_input import parse_yen

T = TypeVar("T")

# Fuzzy matching: the best candidate must score at least this (rapidfuzz ratio, 0-100) and beat
# the runner-up by the margin, or the name is reported as unknown or ambiguous.
FUZZY_MIN_SCORE = 80.0
FUZZY_MARGIN = 8.0
_LIST_SEPARATORS = re.compile(r"[;；、,，\n]+")


class CellError(Exception):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class Reading(Generic[T]):
    value: T
    shown: str | None = None  # how the cell was understood, when not written exactly so


def fold(text: str) -> str:
    """The form names are compared in: NFKC, case-folded, without spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "").casefold())


def split_list(text: str) -> list[str]:
    """Items of a list cell: separated by ; 、 , or line breaks (not ・, which names contain)."""
    return [item.strip() for item in _LIST_SEPARATORS.split(text or "") if item.strip()]


class NameIndex(Generic[T]):
    """Candidates by every name they go by; `match` finds the one a cell means."""

    def __init__(self, candidates: Iterable[tuple[T, Sequence[str], str]],
                 completions: Sequence[str] = (), prefixes: Sequence[str] = ()) -> None:
        """candidates: (object, names it goes by, the name to show). `completions` are suffixes a
        writer may leave off (市, 町, 村); `prefixes` are ones they may add (大阪府)."""
        self._exact: dict[str, list[tuple[T, str]]] = {}
        for obj, names, shown in candidates:
            for name in names:
                key = fold(name)
                if key and all(existing is not obj for existing, _ in self._exact.get(key, [])):
                    self._exact.setdefault(key, []).append((obj, shown))
        self._completions = [fold(c) for c in completions]
        self._prefixes = [fold(p) for p in prefixes]

    def match(self, text: str, *, what: Any) -> Reading[T]:
        """Raises CellError naming `what` when the name is unknown or could mean several."""
        key = fold(text)
        for prefix in self._prefixes:
            if key.startswith(prefix) and len(key) > len(prefix):
                key = key[len(prefix):]
        found = self._exact.get(key)
        if found and len(found) == 1:
            obj, shown = found[0]
            return Reading(obj, None if text.strip() == shown else shown)
        completed = [c for suffix in self._completions for c in self._exact.get(key + suffix, [])]
        if len(completed) == 1:
            return Reading(completed[0][0], completed[0][1])
        fuzzy = process.extract(key, list(self._exact), scorer=fuzz.ratio, limit=3)
        best = [(name, score) for name, score, _ in fuzzy if score >= FUZZY_MIN_SCORE]
        if best and len(self._exact[best[0][0]]) == 1 and (
                len(best) == 1 or best[0][1] - best[1][1] >= FUZZY_MARGIN):
            obj, shown = self._exact[best[0][0]][0]
            return Reading(obj, shown)
        options = {shown for name, _ in best for _, shown in self._exact[name]} | {s for _, s in completed}
        if len(options) > 1:
            raise CellError(_l("「%(text)s」はどの%(what)sか判断できません（候補: %(options)s）。", text=text, what=what,
                               options="、".join(sorted(options))))
        raise CellError(_l("「%(text)s」という%(what)sは見つかりません。", text=text, what=what))


# -- amounts and dates: the forms' own readers (japanese_input.py), so a cell means what a field does
def parse_amount(text: str) -> int | None:
    """Yen as people write them (120万円, １２０万, 1,200,000円, ¥1200000, 1.2百万). None if not an amount."""
    try:
        amount = parse_yen(text)
    except ValueError:
        return None
    return amount if amount >= 0 else None


def format_yen(amount: int) -> str:
    if amount >= 10_000 and amount % 10_000 == 0:
        return f"{amount // 10_000:,}万円"
    return f"{amount:,}円"


def parse_date(text: str) -> Reading[dt.date]:
    """2027-04-01, 2027/4/1, 2027年4月 (the first of the month), 令和9年4月1日, R9.4.1. Raises CellError."""
    try:
        value = japanese_input.parse_date(text)
    except ValueError:
        raise CellError(_l("「%(text)s」を日付として読めません（例: 2027-04-01、2027年4月）。", text=text)) from None
    return Reading(value, None if text.strip() == value.isoformat() else value.isoformat())


# -- yes / no ---------------------------------------------------------------------------------
_TRUE = {"1", "true", "yes", "y", "はい", "○", "〇", "済", "廃止", "retired", "x"}
_FALSE = {"0", "false", "no", "n", "いいえ", "", "-", "—", "現役", "active"}


def parse_bool(text: str) -> Reading[bool]:
    """Raises CellError."""
    key = fold(text)
    if key in _TRUE:
        return Reading(True)
    if key in _FALSE:
        return Reading(False)
    raise CellError(_l("「%(text)s」は「はい」か「いいえ」で書いてください。", text=text))
