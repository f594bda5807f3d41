"""Strict parsing of untrusted text: ids and counts, redirect targets, control characters.

Plain functions with no Flask, so actions, views, the CLI and the configuration share one rule.
`str.isdigit()` is not that rule: it accepts '²' and '١', which `int()` refuses or reads as
another number, and it has no upper bound, while every id column is a 32-bit INTEGER.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

# Every primary key is an INTEGER column: PostgreSQL refuses anything past 2^31 - 1 with an
# error, SQLite past 2^63 - 1 with an OverflowError. A larger id cannot name a row.
MAX_ID = 2**31 - 1

_ASCII_DIGITS = re.compile(r"[0-9]+")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# C0 and C1 controls and DEL. Tab, CR and LF are allowed only where text may span lines.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class NotANumber(ValueError):
    """The text is not a whole number within the allowed range."""


def fold_typed(raw: str | None) -> str:
    r"""Typed text (a date, an amount, a count) NFKC-folded, so 全角 digits, letters and spaces
    read as ASCII; stripped. Raises NotANumber when a character that is not an ASCII or 全角
    digit would become a digit: NFKC turns '²' into 2 and '⑫' into 12, and Python's regex `\d`
    and `int()` read '٣' as 3, so a typo or a hostile value would be saved as another number.
    Kanji numerals (万, 千, 百, 億) are not digits and stay as they are."""
    text = raw or ""
    for char in text:
        if "0" <= char <= "9" or "０" <= char <= "９" or char.isascii():
            continue
        if char.isdigit() or any("0" <= c <= "9" for c in unicodedata.normalize("NFKC", char)):
            raise NotANumber(raw)
    return unicodedata.normalize("NFKC", text).strip()


def parse_int(raw: str | None, *, minimum: int = 0, maximum: int = MAX_ID) -> int:
    """Read a whole number written in ASCII or 全角 digits (１２ → 12), nothing else.

    Signs, spaces inside, decimal points, superscripts and other scripts' digits are refused, as
    is any value outside [minimum, maximum]. Surrounding spaces are ignored.
    Raises NotANumber.
    """
    # Only 全角 digits are normalised: NFKC would also turn '²' and '⑫' into digits.
    text = (raw or "").strip().translate(_FULL_WIDTH_DIGITS)
    if not _ASCII_DIGITS.fullmatch(text):
        raise NotANumber(raw)
    # Bound the length before int(): a megabyte of digits is refused without arithmetic.
    if len(text.lstrip("0")) > len(str(maximum)):
        raise NotANumber(raw)
    value = int(text)
    if not minimum <= value <= maximum:
        raise NotANumber(raw)
    return value


def parse_id(raw: str | None) -> int:
    """A row id: 1 … 2^31 - 1. Raises NotANumber."""
    return parse_int(raw, minimum=1, maximum=MAX_ID)


def optional_id(raw: object) -> int | None:
    """A row id, or None when the value is absent or blank. Raises NotANumber."""
    if raw is None or not str(raw).strip():
        return None
    return parse_id(str(raw))


def parse_ids(values: Iterable[object]) -> list[int]:
    """Row ids from a multi-valued field, blanks skipped. Raises NotANumber on any other value."""
    return [number for number in map(optional_id, values) if number is not None]


def has_control_characters(value: str, *, multiline: bool) -> bool:
    pattern = CONTROL_CHARACTERS if multiline else LINE_CONTROL_CHARACTERS
    return pattern.search(value) is not None


def is_safe_next(target: str | None) -> bool:
    """A same-site relative path (`/challenges?page=2`), never something a browser reads as
    another host: `//evil`, `/\\evil`, `https:evil`, or a value that would split headers."""
    if not target or not target.startswith("/") or len(target) > 2000:
        return False
    if LINE_CONTROL_CHARACTERS.search(target) or "\\" in target or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
