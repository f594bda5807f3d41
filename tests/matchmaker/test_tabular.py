"""Reading spreadsheets: the work is bounded by what the file holds and the row limit, never by
the size a sheet claims for itself."""

from __future__ import annotations

import io

import openpyxl
import pytest

from matchmaker import tabular


def _xlsx_with_a_stray_cell(row: int, column: int) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["title", "description"])
    sheet.append(["見守り", "高齢者の見守り"])
    sheet.cell(row=row, column=column, value="x")  # declares A1:<far corner> as the sheet's size
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("row", "column"), [(1_048_576, 1), (3, 16_384), (1_048_576, 16_384)])
def test_a_sheet_claiming_a_huge_size_is_read_by_its_cells_or_refused_at_the_row_limit(row, column, monkeypatch) -> None:
    data = _xlsx_with_a_stray_cell(row, column)
    assert len(data) < 10_000
    cells_read = [0]
    cell_text = tabular._cell_text

    def counting(value):
        cells_read[0] += 1
        return cell_text(value)

    monkeypatch.setattr(tabular, "_cell_text", counting)

    try:
        sheet = tabular.read("issues.xlsx", data, max_rows=1_000)
    except tabular.FileProblem as problem:
        assert "1000" in str(problem.message)
    else:
        assert sheet.header[:2] == ["title", "description"] and len(sheet.header) <= tabular.XLSX_MAX_COLUMNS
        assert all(len(r.cells) <= tabular.XLSX_MAX_COLUMNS for r in sheet.rows)
    # Padded out to its claim this was 10^6 rows or 16,384 columns: billions of cells.
    assert cells_read[0] <= (1_000 * 2 + 100) * tabular.XLSX_MAX_COLUMNS
