"""CSV cells that a spreadsheet shows as text, never runs as a formula.

Excel, LibreOffice and Google Sheets evaluate a cell that begins with =, +, - or @ (and some
versions one that begins with a tab or carriage return), so a title such as
`=HYPERLINK("https://evil.example","…")` typed by one user would run on another's machine.
Such text cells get a leading apostrophe, which spreadsheets hide and treat as "this is text";
numbers are written as numbers. Every CSV and .xlsx export goes through safe_cell.

Imports read cells back through unsafe_cell, the exact inverse, so an exported file imports as
the same data. For that the escape must be reversible: text that itself begins with an
apostrophe gets one more, or `'=x` typed by a user and `=x` escaped would read back alike.
"""

from __future__ import annotations

from typing import Any

# The full-width forms too: a Japanese IME types ＝ and spreadsheets may normalise it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """The value unchanged unless it is text a spreadsheet would read as a formula."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) or text.startswith("'") else text


def unsafe_cell(text: str) -> str:
    """The text safe_cell escaped: one leading apostrophe dropped where safe_cell would have added it."""
    if text.startswith("'") and (text[1:].startswith(FORMULA_STARTS) or text[1:].startswith("'")):
        return text[1:]
    return text
