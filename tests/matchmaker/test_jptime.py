"""Japan time everywhere: the one template filter, fiscal years, Japan's today."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import render_template_string

from matchmaker import jptime

UTC = dt.UTC

FILTER = [
    # value, form, language, shown, machine-readable
    (dt.datetime(2026, 11, 29, 3, 22, tzinfo=UTC), "datetime", "ja", "2026-11-29 12:22", "2026-11-29T12:22+09:00"),
    (dt.datetime(2026, 11, 29, 3, 22), "datetime", "ja", "2026-11-29 12:22", "2026-11-29T12:22+09:00"),  # naive = UTC
    (dt.datetime(2026, 11, 28, 15, 30), "date", "ja", "2026-11-29", "2026-11-29T00:30+09:00"),  # past midnight JST
    (dt.datetime(2026, 11, 28, 14, 59), "date", "ja", "2026-11-28", "2026-11-28T23:59+09:00"),
    (dt.date(2027, 4, 1), "month", "ja", "2027年4月", "2027-04"),
    (dt.date(2027, 4, 1), "month", "en", "April 2027", "2027-04"),
    (dt.date(2026, 4, 1), "fiscal_year", "ja", "令和8年度", "2026"),
    (dt.date(2027, 3, 31), "fiscal_year", "ja", "令和8年度", "2026"),
    (dt.date(2027, 3, 31), "fiscal_year", "en", "FY2026", "2026"),
    (dt.datetime(2026, 3, 31, 15, 0), "fiscal_year", "ja", "令和8年度", "2026"),  # 1 April 00:00 JST
    (dt.date(2019, 4, 1), "fiscal_year", "ja", "令和元年度", "2019"),
]


def test_jst_filter_iso_form(app) -> None:
    with app.test_request_context():
        html = render_template_string("{{ value|jst('iso') }}", value=dt.datetime(2026, 11, 28, 15, 30))
    assert html == "2026-11-29T00:30+09:00"


@pytest.mark.parametrize(("value", "form", "language", "shown", "machine"), FILTER)
def test_jst_filter(app, value, form, language, shown, machine) -> None:
    with app.test_request_context():
        from flask import session
        session["lang"] = language
        html = render_template_string("{{ value|jst(form) }}", value=value, form=form)
    assert html == f'<time datetime="{machine}">{shown}</time>'


@pytest.mark.parametrize(("year", "language", "label"), [
    (2026, "ja", "令和8年度"), (2019, "ja", "令和元年度"), (2018, "ja", "2018年度"), (2026, "en", "FY2026")])
def test_fiscal_year_label(year, language, label) -> None:
    assert jptime.fiscal_year_label(year, language) == label


def test_export_text_names_the_zone() -> None:
    assert jptime.export_text(dt.datetime(2026, 11, 28, 15, 30)) == "2026-11-29T00:30+09:00"


def test_today_is_japans_today(monkeypatch) -> None:
    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2026, 11, 28, 15, 30, tzinfo=UTC).astimezone(tz)
    monkeypatch.setattr(jptime.dt, "datetime", Frozen)
    assert jptime.today() == dt.date(2026, 11, 29)


def test_no_template_formats_a_time_itself() -> None:
    """Every displayed time goes through the jst filter: strftime/isoformat in a template shows UTC."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.html")
                 if ".strftime(" in p.read_text() or ".isoformat()" in p.read_text()]
    assert offenders == []
