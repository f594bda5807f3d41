"""Japan time: every date and time people see is in Asia/Tokyo, and fiscal years run April–March.

The database stores UTC (SQLite hands timestamps back without a zone: they are UTC too). A
time shown or exported goes through `to_jst`; "today" is Japan's today, so a date written at
00:30 JST is not the day before. Fiscal years are named as officers write them: 令和8年度 in
Japanese, FY2026 in English.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
ZONE_LABEL = "JST (UTC+09:00)"
REIWA_START = dt.date(2019, 5, 1)  # 令和元年 began on 1 May 2019


def to_jst(value: dt.datetime) -> dt.datetime:
    """The same instant in Japan time; a naive value is UTC (as stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(JST)


def now() -> dt.datetime:
    return dt.datetime.now(JST)


def today() -> dt.date:
    """Today in Japan (the server's clock may be UTC: before 09:00 JST it is still yesterday there)."""
    return now().date()


def fiscal_year(day: dt.date | dt.datetime) -> int:
    """The fiscal year (April–March) a day falls in, named by the calendar year it starts in."""
    if isinstance(day, dt.datetime):
        day = to_jst(day).date()
    return day.year if day.month >= 4 else day.year - 1


def reiwa_year(year: int) -> str:
    """令和 with its year: 2019 is 元年."""
    number = year - 2018
    if number < 1:
        raise ValueError(f"{year} is before 令和")
    return "令和元年" if number == 1 else f"令和{number}年"


def fiscal_year_label(year: int, language: str) -> str:
    """令和8年度 in Japanese (平成 years stay in the western calendar), FY2026 in English."""
    if language == "en":
        return f"FY{year}"
    if year >= 2019:
        return f"{reiwa_year(year)}度"
    return f"{year}年度"


def export_text(value: dt.datetime | dt.date | None) -> str:
    """A time for a CSV or other export: Japan time, with the zone named in the value itself."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return to_jst(value).isoformat(timespec="minutes")  # 2026-11-29T12:22+09:00
    return value.isoformat()
