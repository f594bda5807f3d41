"""Pages cost a fixed number of SQL queries: the same with 12 projects as with 200.

Counted with a SQLAlchemy `before_cursor_execute` listener on the app's engine, for the pages
that list or count projects (inbox, dashboard and a CSV, the project list) and for the issue and
technology pages, each as an officer, a company member, a coordinator and an admin.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from models import Notification, Role, Stage
from tests import factories
from tests.conftest import _make_app, dispose

SIZES = (12, 200)
VIEWERS = ("officer", "member", "coordinator", "admin")
PAGES = ("/inbox", "/dashboard", "/dashboard/durations.csv", "/projects", "/challenges/{challenge}",
         "/technologies/{technology}", "/challenges?q=課題", "/technologies?q=技術", "/technologies?page=2")
# Pages only some viewers may open.
OWN_PAGES = {"admin": ("/projects/{implemented}/rollout",), "coordinator": ("/projects/{implemented}/rollout",)}


def _populate(app: Flask, projects: int) -> dict[str, Any]:
    """Two municipalities and two companies with a few issues and technologies, two projects
    waiting for each viewer, `projects` projects spread over every stage (every tenth implemented one rolled out), and one
    notification per project for each viewer."""
    session = app.extensions["sqlalchemy_sessionmaker"]()
    places = [factories.municipality(session, name) for name in ("堺市", "豊中市")]
    companies = [factories.make_organization(session) for _ in range(2)]
    challenges = [factories.make_challenge(session, places[i % 2], title=f"課題{i}", field_keys=(key,))
                  for i, key in enumerate(("elderly", "mobility", "tourism", "elderly"))]
    technologies = [factories.make_technology(session, companies[i % 2], title=f"技術{i}", field_keys=(key,))
                    for i, key in enumerate(("elderly", "mobility", "data"))]
    viewers = {
        "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=places[0]),
        "member": factories.make_user(session, Role.COMPANY_MEMBER, organization=companies[0]),
        "coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("elderly", "mobility")),
        "admin": factories.make_user(session, Role.ADMIN),
    }
    # Work waiting for every viewer at both sizes (a list with no rows loads none of its parts,
    # which would make the small size look cheaper than it is).
    for stage in (Stage.ACCEPTED, Stage.PILOT_REQUESTED):
        factories.make_project(session, challenges[0], technologies[0], stage=stage, title=f"待ち{stage.value}")
    pairs = itertools.cycle(itertools.product(challenges, technologies))
    stages = itertools.cycle(Stage)
    for n in range(projects):
        challenge, technology = next(pairs)
        project = factories.make_project(session, challenge, technology, stage=next(stages), title=f"案件{n}")
        if project.stage is Stage.IMPLEMENTED and n % 10 == 0:
            factories.make_project(session, challenge, technology, origin=project, title=f"案件{n}の横展開")
        session.add_all(Notification(user_id=v.id, project_id=project.id, message=f"案件{n}") for v in viewers.values())
    session.commit()
    implemented = factories.make_project(session, challenges[0], technologies[0], stage=Stage.IMPLEMENTED, title="実装済み")
    session.commit()
    ids = {"challenge": challenges[0].id, "technology": technologies[0].id, "implemented": implemented.id,
           "emails": {name: user.email for name, user in viewers.items()}}
    session.close()
    return ids


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = app.extensions["sqlalchemy_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _query_counts(tmp_path, databases, monkeypatch, projects: int) -> dict[tuple[str, str], int]:
    folder = tmp_path / str(projects)
    folder.mkdir()
    url = databases.create("reference", folder)
    app = _make_app(folder, url, monkeypatch)
    ids = _populate(app, projects)
    counts = {}
    for viewer in VIEWERS:
        client = app.test_client()
        client.post("/login", data={"email": ids["emails"][viewer], "password": factories.PASSWORD})
        for page in (*PAGES, *OWN_PAGES.get(viewer, ())):
            url = page.format(**ids)
            warm = client.get(url)
            assert warm.status_code == 200, (viewer, url, warm.status_code)  # warms caches (engine, reference data)
            with _counting(app) as statements:
                assert client.get(url).status_code == 200
            counts[viewer, page] = len(statements)
    dispose(app)  # the database goes with the test's folder or the throwaway cluster
    return counts


def test_pages_cost_the_same_queries_with_12_and_200_projects(tmp_path, databases, monkeypatch) -> None:
    small, large = (_query_counts(tmp_path, databases, monkeypatch, n) for n in SIZES)

    grown = {key: (small[key], large[key]) for key in small if small[key] != large[key]}
    assert not grown, f"queries that grow with the data (12 projects, 200 projects): {grown}"
    assert max(small.values()) <= 25, small
