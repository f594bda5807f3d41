"""One page of a list: the rows of the page and the total, in two queries.

Lists ordered newest first move between pages by keyset (`after`/`before` a row's cursor,
its (updated_at, id)): a page link then shows the rows that followed that row, whatever was
added meanwhile, and a deep page costs an index range scan, not a sort or a skip over every row
before it. A page number alone (`?page=50`) still works, by offset.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from matchmaker.parsing import MAX_ID


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    pages: int
    total: int
    # Keyset pages: the cursors of the rows that the next and previous links continue from.
    next_after: str | None = None
    previous_before: str | None = None
    keyset: bool = field(default=False)

    @property
    def has_previous(self) -> bool:
        return self.previous_before is not None if self.keyset else self.page > 1

    @property
    def has_next(self) -> bool:
        return self.next_after is not None if self.keyset else self.page < self.pages

    def link_args(self, args: dict[str, str], step: int) -> dict[str, Any]:
        """The query arguments of the page `step` (1 or -1) away, filters kept."""
        moved: dict[str, Any] = {k: v for k, v in args.items() if k not in ("after", "before", "page")}
        moved["page"] = max(1, self.page + step)
        if self.keyset:
            if step > 0:
                moved["after"] = self.next_after
            elif self.page + step > 1:
                moved["before"] = self.previous_before
        return moved


def paginate(session: Session, query: Select[Any], page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, page, pages, total)


T = TypeVar("T")


@dataclass(frozen=True)
class Shown(Generic[T]):
    """The first few of a list shown where a person starts their day (the longest waiting first)
    and how many there are in all: the rest are on their own pages."""

    items: list[T]
    total: int

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def more(self) -> int:
        return self.total - len(self.items)


class BadCursor(ValueError):
    """A page cursor that this list never wrote."""


# ASCII digits only: `\d` would also take ٤ or ४, which int() reads as digits (parsing.py's rule).
_CURSOR = re.compile(r"^([0-9]{20})\.([0-9]{1,18})$")


def cursor(moment: dt.datetime, row_id: int) -> str:
    """A row's place in a newest-first list: its time (UTC, to the microsecond) and id."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return f"{moment:%Y%m%d%H%M%S%f}.{row_id}"


def parse_cursor(text: str) -> tuple[dt.datetime, int]:
    """Raises BadCursor."""
    found = _CURSOR.match(text or "")
    if found is None:
        raise BadCursor(text)
    try:
        moment = dt.datetime.strptime(found.group(1), "%Y%m%d%H%M%S%f").replace(tzinfo=dt.UTC)
    except ValueError as error:
        raise BadCursor(text) from error
    row_id = int(found.group(2))
    if row_id > MAX_ID:  # PostgreSQL's integer ids: a larger literal is an error there, not "no rows"
        raise BadCursor(text)
    return moment, row_id


def paginate_newest(session: Session, query: Select[Any], moment: Any, row_id: Any, per_page: int, *,
                    page: int = 1, after: str = "", before: str = "") -> Page:
    """A page of `query` ordered by (`moment`, `row_id`) newest first: the rows after (older
    than) the cursor `after`, or the page before the cursor `before`, or page `page` by offset.
    `page` only numbers a keyset page. Raises BadCursor."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    if not after and not before:
        page = min(max(page, 1), pages)
        query = query.order_by(moment.desc(), row_id.desc())
        rows = list(session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)).unique())
        items = rows[:per_page]
        return Page(items, page, pages, total, keyset=True,
                    next_after=cursor(getattr(items[-1], moment.key), items[-1].id) if len(rows) > per_page else None,
                    previous_before=cursor(getattr(items[0], moment.key), items[0].id) if page > 1 and items else None)
    at, at_id = parse_cursor(after or before)
    if after:
        # (moment, id) < (at, at_id), written so that the first condition is an index range
        rows = list(session.scalars(
            query.where(moment <= at, or_(moment < at, and_(moment == at, row_id < at_id)))
            .order_by(moment.desc(), row_id.desc()).limit(per_page + 1)).unique())
        items, more_after, more_before = rows[:per_page], len(rows) > per_page, True
    else:
        rows = list(session.scalars(
            query.where(moment >= at, or_(moment > at, and_(moment == at, row_id > at_id)))
            .order_by(moment.asc(), row_id.asc()).limit(per_page + 1)).unique())
        items, more_after, more_before = rows[:per_page][::-1], True, len(rows) > per_page
    page = min(max(page, 1), pages)
    if not more_before:
        page = 1
    return Page(items, page, pages, total, keyset=True,
                next_after=cursor(getattr(items[-1], moment.key), items[-1].id) if more_after and items else None,
                previous_before=cursor(getattr(items[0], moment.key), items[0].id) if more_before and items else None)


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_after: int | None  # the last id of this page when another page follows


def keyset(session: Session, query: Select[Any], id_column: Any, after: int | None, limit: int) -> KeysetPage:
    """Rows by id, newest first, after (below) the id `after`: a page that neither skips nor repeats
    rows when others are added or removed meanwhile, at the cost of an index range scan."""
    if after is not None:
        query = query.where(id_column < after)
    rows = list(session.scalars(query.order_by(None).order_by(id_column.desc()).limit(limit + 1)).unique())
    more = len(rows) > limit
    items = rows[:limit]
    return KeysetPage(items, items[-1].id if more and items else None)
