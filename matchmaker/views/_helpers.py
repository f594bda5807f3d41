"""Small pieces every view uses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask_login import current_user
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import Field, Municipality, User

from ..policies import Permission, require
from ..security import arg_int


def actor() -> User:
    """The signed-in user's row (views behind login_required only)."""
    return current_user.user


def actor_with(permission: Permission | str, obj: Any = None) -> User:
    """The signed-in user, once `require` has let them through (403 otherwise)."""
    user = actor()
    require(user, permission, obj)
    return user


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


def page_number() -> int:
    return arg_int("page", 1) or 1


def paginate(session: Session, query: Select, page: int, per_page: int) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    items = list(session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items, page, pages, total)


def all_fields(session: Session) -> list[Field]:
    return list(session.scalars(select(Field).order_by(Field.position)))


def all_municipalities(session: Session) -> list[Municipality]:
    return list(session.scalars(select(Municipality).order_by(Municipality.code)))


REGIONS = ("大阪市", "北大阪", "東部大阪", "南河内", "泉州")
