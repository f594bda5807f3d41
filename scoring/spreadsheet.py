"""CSV cells that a spreadsheet shows as text, never runs as a formula.

Excel, LibreOffice and Google Sheets evaluate a cell that begins with =, +, - or @ (and some
versions one that begins with a tab or carriage return), so a title such as
`=HYPERLINK("https://evil.example","…")` typed by one user would run on another's machine.
Such text cells get a leading apostrophe, which spreadsheets hide and treat as "this is text";
numbers are written as numbers. Every CSV export goes through safe_cell.
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
    return "'" + text if text.startswith(FORMULA_STARTS) else text
