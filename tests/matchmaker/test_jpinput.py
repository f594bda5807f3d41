"""Japan-time input and output for events, and the event mails in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from matchmaker import notifications
from matchmaker.jpinput import JST, NotADateTime, format_moment, parse_datetime, parse_end

START = dt.datetime(2027, 4, 15, 14, 0, tzinfo=JST)


@pytest.mark.parametrize("typed", ["明日", "2027-04-15", "14:00", "2027-13-01 10:00", "2027-04-15 24:00",
                                   "2027-04-15 10:60", "2101-01-01 10:00", "2027年4月15日 午後13時", "", "\x00",
                                   "²⁰²⁷-⁰⁴-⁰¹ ¹⁰:⁰⁰", "2027-04-15 ١٠:00"])
def test_what_is_not_a_date_and_time_is_refused(typed: str) -> None:
    with pytest.raises(NotADateTime):
        parse_datetime(typed)


@pytest.mark.parametrize(("typed", "expected"), [
    ("16:00", dt.datetime(2027, 4, 15, 16, 0, tzinfo=JST)),
    ("１６：３０", dt.datetime(2027, 4, 15, 16, 30, tzinfo=JST)),
    ("17時", dt.datetime(2027, 4, 15, 17, 0, tzinfo=JST)),
    ("2027年4月16日 10:00", dt.datetime(2027, 4, 16, 10, 0, tzinfo=JST)),
])
def test_an_end_is_a_time_on_the_day_or_a_full_date(typed: str, expected: dt.datetime) -> None:
    assert parse_end(typed, START) == expected


def test_a_moment_is_shown_in_japan_time_in_either_language() -> None:
    utc = START.astimezone(dt.UTC)

    assert format_moment(utc, "ja", end=utc + dt.timedelta(hours=2)) == "2027年4月15日（木）14:00〜16:00"
    assert format_moment(utc, "en", end=utc + dt.timedelta(hours=2)) == "Thu 15 Apr 2027, 14:00–16:00 (JST)"


def test_the_reminder_mail_is_rendered_in_the_recipients_language_with_absolute_links() -> None:
    params = {"event_id": 7, "title": "OSPFミートアップ", "starts_at": START.isoformat(), "ends_at": None,
              "place": "咲洲庁舎", "online_url": "https://meet.example.jp/x"}

    subject_ja, body_ja = notifications.mail("event_reminder", params, locale="ja", project_id=None,
                                             base_url="https://match.example.jp/")
    subject_en, body_en = notifications.mail("event_reminder", params, locale="en", project_id=None,
                                             base_url="https://match.example.jp/")

    assert subject_ja == "[OSPFマッチング] 明日のイベント：OSPFミートアップ"
    assert "2027年4月15日（木）14:00" in body_ja and "会場: 咲洲庁舎" in body_ja
    assert subject_en == "[OSPF Matching] Tomorrow: OSPFミートアップ"
    assert "Thu 15 Apr 2027, 14:00 (JST)" in body_en and "Venue: 咲洲庁舎" in body_en
    assert "https://match.example.jp/events/7/calendar.ics" in body_en
