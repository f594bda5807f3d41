"""Dates and times typed the Japanese way (an event's start and end), and an event's time as text.

Entered and shown in Japan time (`jptime`), stored in UTC: SQLite keeps no offset, so a stored
value must always mean the same clock. Text is read after NFKC, so 全角 digits and colons
(２０２７年４月１５日　１４：００) read like ASCII.
"""

from __future__ import annotations

import datetime as dt
import re

from .japanese_input import MAX_YEAR, MIN_YEAR
from .jptime import JST, to_jst
from .parsing import NotANumber, fold_typed

_DATE = r"(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*日?\s*(?:\([^)]{1,4}\))?"
_CLOCK = (r"(?P<half>午前|午後|am|pm)?\s*(?P<hour>\d{1,2})\s*(?:[:時]\s*(?P<minute>\d{1,2})?\s*分?)"
          r"\s*(?P<half_after>am|pm)?")
_DATETIME = re.compile(rf"^{_DATE}\s*(?:t|\s)?\s*{_CLOCK}$")
_CLOCK_ONLY = re.compile(rf"^{_CLOCK}$")


class NotADateTime(ValueError):
    """The text is not a date and time this module reads."""


def _normalise(text: str | None) -> str:
    try:
        return fold_typed(text).lower()
    except NotANumber:
        raise NotADateTime(text) from None


def _clock(match: re.Match[str]) -> dt.time:
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = match["half"] or match["half_after"]
    if half:
        if not 1 <= hour <= 12:
            raise NotADateTime(match.string)
        hour = hour % 12 + (12 if half in ("午後", "pm") else 0)
    try:
        return dt.time(hour, minute)
    except ValueError:
        raise NotADateTime(match.string) from None


def parse_datetime(text: str | None) -> dt.datetime:
    """A Japan-time moment from 2027-04-15 14:00, 2027/4/15 14:00, 2027年4月15日（木）14時30分,
    2027-04-15T14:00 (a browser's datetime-local) or the same in 全角. Raises NotADateTime."""
    match = _DATETIME.match(_normalise(text))
    if match is None:
        raise NotADateTime(text)
    try:
        day = dt.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise NotADateTime(text) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise NotADateTime(text)
    return dt.datetime.combine(day, _clock(match), tzinfo=JST)


def parse_end(text: str | None, start: dt.datetime) -> dt.datetime:
    """An end time: a clock time on the start's day (16:00, 16時) or a full date and time.
    Raises NotADateTime."""
    normalised = _normalise(text)
    match = _CLOCK_ONLY.match(normalised)
    if match is not None:
        return dt.datetime.combine(start.astimezone(JST).date(), _clock(match), tzinfo=JST)
    return parse_datetime(normalised)


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored moment as UTC-aware (SQLite gives it back without an offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def to_utc(moment: dt.datetime) -> dt.datetime:
    return aware(moment).astimezone(dt.UTC)


def in_jst(moment: dt.datetime) -> dt.datetime:
    return to_jst(moment)


def input_text(moment: dt.datetime | None, *, clock_only: bool = False) -> str:
    """How a stored moment is written back into a form field."""
    if moment is None:
        return ""
    local = in_jst(moment)
    return local.strftime("%H:%M") if clock_only else local.strftime("%Y-%m-%d %H:%M")


_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_moment(moment: dt.datetime, language: str, *, end: dt.datetime | None = None) -> str:
    """2027年4月15日（木）14:00〜16:00 / Thu 15 Apr 2027, 14:00–16:00 (JST)."""
    local = in_jst(moment)
    until = in_jst(end) if end is not None else None
    if language == "en":
        text = f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]} {local.year}, {local:%H:%M}"
        if until is not None:
            text += f"–{until:%H:%M}" if until.date() == local.date() else f" – {format_moment(until, 'en')[:-6]}"
        return f"{text} (JST)"
    text = f"{local.year}年{local.month}月{local.day}日（{_WEEKDAYS_JA[local.weekday()]}）{local:%H:%M}"
    if until is not None:
        text += f"〜{until:%H:%M}" if until.date() == local.date() else f"〜{format_moment(until, 'ja')}"
    return text
