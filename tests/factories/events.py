from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from models import Challenge, Event, EventKind


def make_event(session: Session, *, title: str = "スマートシティ・ミートアップ", starts_at: dt.datetime | None = None,
               capacity: int = 30, challenges: Sequence[Challenge] = (), **values: Any) -> Event:
    """An event (a week ahead unless `starts_at` says otherwise; give it in UTC)."""
    event = Event(title=title, kind=values.pop("kind", EventKind.MEETUP),
                  starts_at=starts_at or dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=7),
                  place=values.pop("place", "大阪府咲洲庁舎"), capacity=capacity, challenges=list(challenges),
                  registered_count=0, **values)
    session.add(event)
    session.flush()
    return event
