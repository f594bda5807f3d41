"""Spreadsheet files in and out: CSV (UTF-8 with or without BOM, Shift_JIS) and .xlsx.

Plain functions with no Flask and no database: bytes in, header and rows out, and back. What the
cells mean is the importer's business (matchmaker/readers.py, actions/imports.py).

Reading is strict. The encoding is tried as UTF-8 (a BOM is dropped) and then as CP932, the
Windows form of Shift_JIS that Excel writes in Japan; anything that decodes as neither is
refused rather than guessed, because a wrong guess silently turns names into mojibake. An .xlsx
is opened read-only with formulas *not* evaluated: a formula cell is an error, not a value,
since what it shows depends on a spreadsheet engine we do not run. The archive's unpacked size
is checked before openpyxl sees it (a small zip can unpack to gigabytes), and defusedxml (when
installed, as pyproject requires) protects its XML parsing.

Writing neutralises every text cell through scoring.spreadsheet.safe_cell, for CSV and .xlsx
alike: openpyxl would store a string that begins with "=" as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from scoring.spreadsheet import safe_cell, unsafe_cell

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Reading stops here: callers limit rows themselves, this only bounds the work.
XLSX_MAX_UNPACKED_BYTES = 64 * 1024 * 1024
XLSX_MAX_COLUMNS = 64  # far more than any import template has
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


class FileProblem(Exception):
    """The file as a whole cannot be read; `message` says why, in the reader's language."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class Row:
    line: int  # the line (CSV) or row (xlsx) a person sees in their editor, counting the header as 1
    cells: list[str]
    formula_columns: set[int] = field(default_factory=set)  # positions whose cell held a formula


@dataclass
class Sheet:
    header: list[str]
    rows: list[Row]
    encoding: str  # "UTF-8", "UTF-8 (BOM)", "Shift_JIS (CP932)" or "xlsx"


def is_xlsx(filename: str, data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC) or filename.lower().endswith(".xlsx")


def read(filename: str, data: bytes, *, max_rows: int) -> Sheet:
    """The header and data rows of a CSV or .xlsx file; blank rows are skipped.

    More than `max_rows` data rows raises FileProblem, as does an empty, undecodable or
    unreadable file."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileProblem(_l("ファイルが空です。見出し行とデータ行を含むファイルを選んでください。"))
    if data.startswith(_OLE_MAGIC) or filename.lower().endswith(".xls"):
        raise FileProblem(_l("古い Excel 形式（.xls）は読み込めません。.xlsx または CSV で保存し直してください。"))
    sheet = _read_xlsx(data, max_rows) if is_xlsx(filename, data) else _read_csv(data, max_rows)
    if not any(cell.strip() for cell in sheet.header):
        raise FileProblem(_l("1行目に見出しがありません。テンプレートの見出し行を使ってください。"))
    return sheet


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding label). Raises FileProblem when neither UTF-8 nor CP932 decodes it strictly."""
    try:
        text = data.decode("utf-8-sig")
        return text, "UTF-8 (BOM)" if data.startswith(b"\xef\xbb\xbf") else "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        raise FileProblem(_l("文字コードを判別できません。UTF-8 または Shift_JIS（CP932）で保存したファイルを選んでください。")) from None
    return text, "Shift_JIS (CP932)"


def _read_csv(data: bytes, max_rows: int) -> Sheet:
    text, encoding = decode(data)
    if "\x00" in text:
        raise FileProblem(_l("テキストのCSVファイルではありません（NUL文字を含みます）。"))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[Row] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                header = record
                continue
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= max_rows:
                raise FileProblem(_l("行数が上限（%(max)d行）を超えています。ファイルを分けてください。", max=max_rows))
            rows.append(Row(start, [unsafe_cell(cell) for cell in record]))
    except csv.Error as error:
        raise FileProblem(_l("%(line)d行目: CSVの形式が正しくありません（%(detail)s）。", line=reader.line_num,
                             detail=str(error))) from None
    return Sheet([cell.strip() for cell in header or []], rows, encoding)


def _read_xlsx(data: bytes, max_rows: int) -> Sheet:
    import openpyxl  # imported here: only imports pay for it

    broken = _l("Excelファイル（.xlsx）として読み込めません。ファイルが壊れていないか確認してください。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > XLSX_MAX_UNPACKED_BYTES:
                raise FileProblem(_l("展開後のExcelファイルが大きすぎます。"))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except FileProblem:
        raise
    except Exception:  # noqa: BLE001 - zipfile, XML and openpyxl raise many kinds; all mean "not an xlsx"
        raise FileProblem(broken) from None
    try:
        worksheet = workbook.worksheets[0] if workbook.worksheets else None
        if worksheet is None:
            raise FileProblem(broken)
        header: list[str] | None = None
        rows: list[Row] = []
        # A sheet's declared dimensions (<dimension ref="A1:XFD1048576">, or one stray cell far
        # below) would make read-only openpyxl pad every row out to them: a 2 KB file becoming
        # 10^6 rows of 16,384 cells. Read the cells that exist, at most XLSX_MAX_COLUMNS wide, and
        # count blank rows too, so the work is bounded by the row limit, not by the file's claim.
        worksheet.reset_dimensions()
        for number, cells in enumerate(worksheet.iter_rows(max_col=XLSX_MAX_COLUMNS), start=1):
            if number > max_rows * 2 + 100:
                raise FileProblem(_l("行数が上限（%(max)d行）を超えています。ファイルを分けてください。", max=max_rows))
            texts, formulas = [], set()
            for position, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f":
                    formulas.add(position)
                texts.append(_cell_text(getattr(cell, "value", None)))
            if header is None:
                header = [text.strip() for text in texts]
                continue
            if not any(text.strip() for text in texts) and not formulas:
                continue
            if len(rows) >= max_rows:
                raise FileProblem(_l("行数が上限（%(max)d行）を超えています。ファイルを分けてください。", max=max_rows))
            rows.append(Row(number, texts, formulas))
    except FileProblem:
        raise
    except Exception:  # noqa: BLE001 - a malformed sheet fails while streaming rows
        raise FileProblem(broken) from None
    finally:
        workbook.close()
    return Sheet(header or [], rows, "xlsx")


def _cell_text(value: Any) -> str:
    """A cell as the text a person sees: whole numbers without '.0', dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return unsafe_cell(str(value))


# -- writing ----------------------------------------------------------------------------------
def to_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM and CRLF line ends, so Excel opens it cleanly; formulas kept as text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(str(h)) for h in header])
    writer.writerows([[_plain(cell) for cell in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: Sequence[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]]) -> bytes:
    """An .xlsx with one worksheet per (title, header, rows); numbers stay numbers, every text
    cell goes through safe_cell, so nothing is stored as a formula."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    for title, header, rows in sheets:
        worksheet = workbook.create_sheet(title=_sheet_title(title))
        worksheet.append([safe_cell(str(h)) for h in header])
        for row in rows:
            values = [_plain(cell) for cell in row]
            worksheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _plain(cell: Any) -> Any:
    if cell is None:
        return ""
    if isinstance(cell, (bool, int, float)):
        return cell
    return safe_cell(str(cell))


def _sheet_title(title: str) -> str:
    # Excel allows 31 characters and none of []:*?/\ in a sheet's name.
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in str(title))
    return cleaned[:31] or "Sheet"
