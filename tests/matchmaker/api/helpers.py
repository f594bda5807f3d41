"""Helpers for API tests: tokens for the demo accounts, authorised calls."""

from __future__ import annotations

import re

from sqlalchemy import select

from matchmaker.actions.tokens import create_token
from models import User

from ..web import ACCOUNTS


def token_for(app, who: str, scope: str = "write") -> str:
    """A new token of a demo account (see tests/matchmaker/web.py ACCOUNTS), made through the action."""
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    try:
        user = session.scalar(select(User).where(User.email == ACCOUNTS[who]))
        _token, secret = create_token(session, actor=user, name=f"test {who} {scope}", scope=scope)
        session.commit()
        return secret
    finally:
        session.close()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def page_ids(client, path: str, pattern: str, **args: str) -> set[int]:
    """The ids a paginated page links to with `pattern`, over all its pages."""
    found: set[int] = set()
    page = 1
    while True:
        text = client.get(path, query_string={**args, "page": page}).text
        found |= {int(n) for n in re.findall(pattern, text)}
        if 'rel="next"' not in text:
            return found
        page += 1
