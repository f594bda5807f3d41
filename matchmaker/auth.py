"""Sign-in sessions that end on the server: the cookie carries the user's session version."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin

from models import User

from .db import get_session
from .parsing import NotANumber, parse_id, parse_int

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("続けるにはログインしてください。")
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


class SignedInUser(UserMixin):
    """Adapts a User row to flask-login without teaching the model about Flask."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        # Logout and password changes bump session_version, so an old cookie stops matching.
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return self.user.is_active

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


@login_manager.user_loader
def _load_user(token: str) -> SignedInUser | None:
    # The token comes from the signed session cookie, but an old or hand-made cookie must still
    # never reach the database with an id it cannot store.
    raw_id, _, raw_version = token.partition(":")
    try:
        user_id, version = parse_id(raw_id), parse_int(raw_version, maximum=2**63 - 1)
    except NotANumber:
        return None
    user = get_session().get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return SignedInUser(user)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
