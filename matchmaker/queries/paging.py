"""One page of a list: the rows of the page and the total, in two queries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(session: Session, query: Select[Any], page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(page, 1), pages)
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, page, pages, total)


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
