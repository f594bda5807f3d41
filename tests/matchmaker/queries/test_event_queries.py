"""Event pages cost a fixed number of SQL queries: the same for an event with one issue and one
registrant as for one with eight issues, thirty registrants and proposals; the list and the
dashboard the same with 2 events as with 25."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask

from models import EventProposal, EventRegistration, Role
from tests import factories
from tests.conftest import _make_app, dispose

from .test_query_counts import _counting


def _populate(app: Flask, *, issues: int, registrants: int, proposals: int, events: int) -> dict[str, Any]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    place = factories.municipality(session, "堺市")
    company = factories.make_organization(session)
    challenges = [factories.make_challenge(session, place, title=f"課題{n}", field_keys=("mobility",))
                  for n in range(issues)]
    technologies = [factories.make_technology(session, company, title=f"技術{n}") for n in range(3)]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    event = factories.make_event(session, starts_at=past, capacity=100, challenges=challenges)
    for n in range(events - 1):
        factories.make_event(session, title=f"会{n}", starts_at=past - dt.timedelta(days=n + 1))
    people = [factories.make_user(session, Role.COMPANY_MEMBER, organization=company) for _ in range(registrants)]
    session.add_all(EventRegistration(event_id=event.id, user_id=p.id) for p in people)
    for n in range(proposals):
        project = factories.make_project(session, challenges[n % issues], technologies[n % 3], title=f"提案{n}")
        session.add(EventProposal(project_id=project.id, event_id=event.id))
    viewers = {"member": people[0], "coordinator": factories.make_user(session, Role.COORDINATOR,
                                                                       field_keys=("mobility",))}
    session.commit()
    found = {"event": event.id, "emails": {name: user.email for name, user in viewers.items()}}
    session.close()
    return found


def _counts(tmp_path, databases, monkeypatch, name: str, **sizes: int) -> dict[tuple[str, str], int]:
    folder = tmp_path / name
    folder.mkdir()
    app = _make_app(folder, databases.create("reference", folder), monkeypatch)
    ids = _populate(app, **sizes)
    counts = {}
    for viewer, email in ids["emails"].items():
        client = app.test_client()
        client.post("/login", data={"email": email, "password": factories.PASSWORD})
        for page in (f"/events/{ids['event']}", "/events", "/dashboard"):
            assert client.get(page).status_code == 200, (viewer, page)  # warms the engine and caches
            with _counting(app) as statements:
                assert client.get(page).status_code == 200
            counts[viewer, page.replace(str(ids["event"]), "N")] = len(statements)
    dispose(app)
    return counts


def test_event_pages_cost_the_same_queries_however_big_the_event(tmp_path, databases, monkeypatch) -> None:
    small = _counts(tmp_path, databases, monkeypatch, "small", issues=1, registrants=1, proposals=1, events=2)
    large = _counts(tmp_path, databases, monkeypatch, "large", issues=8, registrants=30, proposals=6, events=25)

    grown = {key: (small[key], large[key]) for key in small if small[key] != large[key]}
    assert not grown, f"queries that grow with the event (small, large): {grown}"
    assert max(large.values()) <= 30, large
