"""An event as an iCalendar (.ics) file, written with the `icalendar` package (RFC 5545).

The UID is fixed per event and site, so a calendar that imports the file again updates the same
entry; SEQUENCE follows the event's version, so an edited event replaces the older copy. Times are
Japan time with a VTIMEZONE for Asia/Tokyo. Escaping of commas, semicolons, backslashes and line
folding is the library's.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import icalendar

from models import Event

from .jpinput import in_jst, to_utc

PRODID = "-//OSPF//matchmaker events//JA"
# Without an end, an entry of two hours (a typical meet-up) rather than an instant.
DEFAULT_LENGTH = dt.timedelta(hours=2)


def event_uid(event: Event, site: str) -> str:
    host = urlsplit(site).hostname or "matchmaker.invalid"
    return f"event-{event.id}@{host}"


def event_calendar(event: Event, *, site: str, page_url: str, description: str) -> bytes:
    """The .ics for one event. `site` is the public base URL (or the request's host URL)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = icalendar.Event()
    entry.add("uid", event_uid(event, site))
    entry.add("sequence", max(event.version - 1, 0))
    # The last change, not the download time: the same event gives the same file.
    entry.add("dtstamp", to_utc(event.updated_at or event.created_at))
    start = in_jst(event.starts_at)
    entry.add("dtstart", start)
    entry.add("dtend", in_jst(event.ends_at) if event.ends_at else start + DEFAULT_LENGTH)
    entry.add("summary", event.title)
    location = " / ".join(part for part in (event.place, event.online_url) if part)
    if location:
        entry.add("location", location)
    entry.add("description", description)
    entry.add("url", page_url)
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
