"""Small pieces every view uses."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from models import User

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


def page_number() -> int:
    return arg_int("page", 1) or 1
