"""The bad-input catalogue, run against SQLite here and against PostgreSQL in tests/postgres.

Each probe is (who, method, path, data, expected status); data may be a dict of form fields or
None. Every probe must leave the database unchanged.
"""

from __future__ import annotations

import io

from sqlalchemy import select

from models import Challenge

from .web import challenge_form, login, state_fingerprint

BEYOND_POSTGRES = str(2**31)  # one past the largest INTEGER
BEYOND_SQLITE = str(2**63)  # one past the largest SQLite integer
HUGE = "9" * 40


def _challenge_id(app) -> int:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
    finally:
        session.close()


def probes(challenge_id: int) -> list[tuple[str | None, str, str, object, int]]:
    return [
        # ids in paths: no row can have them, so the page does not exist
        ("officer", "GET", f"/challenges/{BEYOND_POSTGRES}", None, 404),
        ("officer", "GET", f"/challenges/{BEYOND_SQLITE}", None, 404),
        ("officer", "GET", f"/challenges/{HUGE}/edit", None, 404),
        ("officer", "GET", "/challenges/²", None, 404),
        ("officer", "GET", "/challenges/٣", None, 404),
        ("member", "GET", f"/technologies/{BEYOND_POSTGRES}", None, 404),
        ("member", "GET", f"/projects/{BEYOND_SQLITE}", None, 404),
        ("coordinator", "GET", f"/organizations/{BEYOND_POSTGRES}", None, 404),
        ("coordinator", "POST", f"/coordination/applications/{BEYOND_POSTGRES}", {"decision": "approve"}, 404),
        ("officer", "POST", f"/challenges/{challenge_id}/shortlist/{BEYOND_SQLITE}/remove", {}, 404),
        # ids and counts in query strings: the request is wrong, not the page
        ("officer", "GET", "/challenges?page=²", None, 400),
        ("officer", "GET", "/challenges?municipality=²", None, 400),
        ("officer", "GET", f"/challenges?municipality={BEYOND_POSTGRES}", None, 400),
        ("officer", "GET", f"/challenges?page={BEYOND_SQLITE}", None, 400),
        ("member", "GET", f"/technologies?municipality={HUGE}", None, 400),
        ("member", "GET", f"/projects/new?challenge={challenge_id}&technology=²", None, 400),
        ("member", "GET", f"/projects/new?challenge={BEYOND_POSTGRES}", None, 400),
        # ids in forms
        ("officer", "POST", "/challenges/new", challenge_form(municipality_id="²"), 400),
        ("officer", "POST", f"/challenges/{challenge_id}/shortlist", {"technology_id": BEYOND_POSTGRES}, 400),
        ("officer", "POST", f"/challenges/{challenge_id}/shortlist", {"technology_id": "²"}, 400),
        ("admin", "POST", "/admin/users", {"email": "x@example.jp", "display_name": "x", "role": "municipal_officer",
                                           "municipality_id": BEYOND_SQLITE, "password": "long-enough-pass"}, 400),
        # NUL and control characters
        (None, "POST", "/login", {"email": "admin\x00@demo.matchmaker.example", "password": "x"}, 400),
        ("officer", "GET", "/challenges?q=%E5%9D%82%00", None, 400),
        ("officer", "GET", "/challenges?field=mobility%00", None, 400),
        ("member", "GET", "/technologies?q=a%0d%0aSet-Cookie:%20x=1", None, 400),
        ("officer", "POST", "/challenges/new", challenge_form(field_keys=["mobility\x00"]), 400),
        ("officer", "POST", "/challenges/new", challenge_form(target="駅\x1b周辺"), 400),
        # a file where text belongs
        ("officer", "POST", "/challenges/new",
         {**challenge_form(), "title": (io.BytesIO(b"<script>"), "title.txt")}, 400),
        (None, "POST", "/login", {"email": (io.BytesIO(b"x"), "e.txt"), "password": "x"}, 400),
    ]


def run_catalogue(app) -> list[tuple[str, str, int, int]]:
    """Returns the probes whose status differed from the expected one (empty when all held)."""
    challenge_id = _challenge_id(app)
    clients = {}
    wrong = []
    before = state_fingerprint(app)
    for who, method, path, data, expected in probes(challenge_id):
        if who not in clients:
            clients[who] = app.test_client() if who is None else login(app.test_client(), who)
        client = clients[who]
        response = client.open(path, method=method, data=data) if data is not None else client.open(path, method=method)
        if response.status_code != expected:
            wrong.append((method, path, expected, response.status_code))
    assert state_fingerprint(app) == before
    return wrong
