"""What officers and companies type: 2027年4月, 令和9年4月, ３か月, 半年, 120万円, 1.2百万.

Plain functions with no Flask, like parsing.py: text in, a value out, ValueError when the text
is not one. Everything is NFKC-normalised first, so 全角 digits, letters and spaces are read.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from .jptime import fiscal_year
from .parsing import fold_typed

# Days outside these years are typos (9999-12-31, 0001-01-01) and would overflow the Japan-time
# to UTC conversion at the edges of `datetime`.
MIN_YEAR, MAX_YEAR = 2000, 2100

# 令和 years: 令和元年 = 2019 (from 1 May); written 令和, R or Ｒ.
_ERA = r"(?:令和|r)\s*(\d{1,2}|元)\s*(?:年|[-/.])"
_WESTERN = r"(\d{4})\s*(?:年|[-/.])"
_MONTH = r"\s*(\d{1,2})\s*(?:月|[-/.])?"
_DAY = r"(?:\s*(\d{1,2})\s*日?)?"
_DATE = re.compile(rf"^(?:{_ERA}|{_WESTERN}){_MONTH}{_DAY}$", re.IGNORECASE)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")  # 20270401


def _normalize(text: str | None) -> str:
    return fold_typed(text)  # NotANumber is a ValueError, which every parser here raises


# English, as the English pages write a month (April 2027) and as people type a day.
_MONTH_NAMES = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_ENGLISH_DATE = re.compile(r"^(?:(\d{1,2})\s+)?([a-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$", re.IGNORECASE)
# A fiscal year (April to March): 2027年度, 令和9年度, R9年度, FY2027.
_FISCAL_YEAR = re.compile(r"^(?:(?:令和|r)\s*(\d{1,2}|元)\s*年|(\d{4})\s*年)\s*度$|^fy\s*(\d{4})$", re.IGNORECASE)
# Longer than any way of writing a day or a month: refused before any pattern looks at it.
_MAX_TYPED = 40


def _reiwa(era: str, text: str | None) -> int:
    year = 2018 + (1 if era == "元" else int(era))
    if year < 2019:
        raise ValueError(f"not a 令和 year: {text!r}")
    return year


def parse_date(text: str | None) -> dt.date:
    """A day: 2027-04-01, 2027/4/1, 2027.4.1, 20270401, 2027年4月1日, 令和9年4月1日, R9.4.1,
    1 April 2027, April 1, 2027.

    A month without a day (2027年4月, 2027/4, 令和9年4月, April 2027) means its first day.
    Raises ValueError.
    """
    raw = _normalize(text)
    if len(raw) > _MAX_TYPED:
        raise ValueError(f"not a date: {raw[:_MAX_TYPED]!r}…")
    compact = _COMPACT.match(raw)
    if compact:
        return _in_range(dt.date(int(compact[1]), int(compact[2]), int(compact[3])))
    english = _ENGLISH_DATE.match(raw)
    if english:
        day_before, name, day_after, english_year = english.groups()
        named = _MONTH_NAMES.get(name.casefold())
        if named is None or (day_before and day_after):
            raise ValueError(f"not a date: {text!r}")
        return _in_range(dt.date(int(english_year), named, int(day_before or day_after or 1)))
    match = _DATE.match(raw)
    if match is None:
        raise ValueError(f"not a date: {text!r}")
    era, western, month, day = match.groups()
    year = _reiwa(era, text) if era is not None else int(western)
    return _in_range(dt.date(year, int(month), int(day) if day else 1))


def parse_fiscal_year(text: str | None) -> int:
    """2027年度, 令和9年度, R9年度, FY2027 -> 2027 (the year its April falls in). Raises ValueError."""
    raw = _normalize(text)
    match = _FISCAL_YEAR.match(raw) if len(raw) <= _MAX_TYPED else None
    if match is None:
        raise ValueError(f"not a fiscal year: {text!r}")
    era, western, english = match.groups()
    year = _reiwa(era, text) if era is not None else int(western or english)
    return _in_range(dt.date(year, 4, 1)).year


def parse_start(text: str | None) -> dt.date:
    """When something should start, as officers write it: any day or month `parse_date` reads,
    a fiscal year (2027年度, 令和9年度, FY2027: its first day, 1 April), or a month with its fiscal
    year as the pages show it (2027年4月（令和9年度）, April 2027 (FY2027)), which must agree.
    Raises ValueError."""
    raw = _normalize(text)
    if len(raw) > _MAX_TYPED:
        raise ValueError(f"not a date: {raw[:_MAX_TYPED]!r}…")
    if raw.endswith(")"):
        # What the pages show for a start, 2027年4月（令和9年度）: one label, split once (no pattern
        # that backtracks over what someone pasted).
        month, _, label = raw[:-1].rpartition("(")
        day = parse_date(month.strip())
        if fiscal_year(day) != parse_fiscal_year(label):
            raise ValueError(f"the fiscal year does not match the month: {text!r}")
        return day
    if _FISCAL_YEAR.match(raw):
        return dt.date(parse_fiscal_year(raw), 4, 1)
    return parse_date(raw)


def _in_range(day: dt.date) -> dt.date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"not a year from {MIN_YEAR} to {MAX_YEAR}: {day.year}")
    return day


_MONTHS = re.compile(r"^(?:(\d+)年(半)?)?(?:(\d+)(?:か|ヶ|ヵ|カ|ケ|箇|ヵ)?月)?$")
_ENGLISH_MONTHS = re.compile(r"^(\d+)(?:months?|mos?\.?)?$", re.IGNORECASE)


def parse_months(text: str | None) -> int:
    """A duration in whole months: 3, ３か月, 3ヶ月, 3カ月間, 半年 (6), 1年 (12), 1年半 (18),
    1年3か月 (15), 3 months. Raises ValueError."""
    raw = _normalize(text).replace(" ", "").removesuffix("間")
    if raw == "半年":
        return 6
    english = _ENGLISH_MONTHS.match(raw)
    if english:
        return int(english[1])
    match = _MONTHS.match(raw)
    if not raw or match is None:
        raise ValueError(f"not a duration: {text!r}")
    years, half, months = match.groups()
    return int(years or 0) * 12 + (6 if half else 0) + int(months or 0)


_PART = re.compile(r"((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)(億|千万|百万|万|千)?")
_FACTORS = {None: 1, "千": 10**3, "万": 10**4, "百万": 10**6, "千万": 10**7, "億": 10**8}


def parse_quantity(text: str | None, *, unit: str = "") -> float:
    """A number as written: 1,440 / １４４０ / 12.5 / -3 / 1.2万 / 1億2千万, the given unit (or 円)
    after it allowed: 30分, 1,200円. Raises ValueError."""
    raw = _normalize(text).replace(" ", "").lstrip("¥")
    for suffix in filter(None, (_normalize(unit).replace(" ", ""), "円")):
        if raw.endswith(suffix) and len(raw) > len(suffix):
            raw = raw[: -len(suffix)]
            break
    sign = -1.0 if raw.startswith("-") else 1.0
    raw = raw.lstrip("+-")
    total, position, previous = 0.0, 0, math.inf
    for part in _PART.finditer(raw):
        factor = _FACTORS[part[2]]
        # Parts must follow each other and go down in size (1億2千万, never 2千万1億).
        if part.start() != position or factor >= previous:
            raise ValueError(f"not a number: {text!r}")
        total += float(part[1].replace(",", "")) * factor
        position, previous = part.end(), factor
    if position == 0 or position != len(raw) or not math.isfinite(total):
        raise ValueError(f"not a number: {text!r}")
    return sign * total


def parse_yen(text: str | None) -> int:
    """An amount in yen: 1200000, 1,200,000円, 120万円, 1.2百万, ¥1,200,000, 1億2000万円.
    Raises ValueError (also for a fraction of a yen)."""
    value = parse_quantity(text, unit="円")
    rounded = round(value)
    if abs(value - rounded) > 1e-6:
        raise ValueError(f"not whole yen: {text!r}")
    return int(rounded)


def format_number(value: float | None) -> str:
    """1440.0 -> 1,440; 12.5 -> 12.5; 0.125 -> 0.13 (at most two decimals, no trailing zeros)."""
    if value is None:
        return ""
    rounded = round(float(value), 2)
    if rounded.is_integer():
        return f"{int(rounded):,}"
    return f"{rounded:,.2f}".rstrip("0").rstrip(".")


def kpi_achieved(baseline: float, target: float, result: float | None) -> bool | None:
    """Whether a result reaches its target; the direction is the one from baseline to target
    (a target below the baseline means lower is better: waiting minutes, accidents). None
    without a result."""
    if result is None:
        return None
    if target < baseline:
        return result <= target
    return result >= target
