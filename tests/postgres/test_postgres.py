"""The production database: what SQLite lets through and PostgreSQL does not."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from matchmaker.db import make_engine
from matchmaker.migrate import upgrade_database
from models import Base, Challenge, Project, ProjectStageChange, Stage, Technology
from seed import load_demo, load_demo_projects, load_reference
from tests.conftest import fast_hash
from tests.matchmaker.test_workflow import APPROVE, _project_in
from tests.matchmaker.web import challenge_form, login, state_fingerprint


def test_migrations_on_an_empty_postgres_database_match_the_models(empty_postgres_url) -> None:
    engine = make_engine(empty_postgres_url)
    upgrade_database(engine)

    with engine.connect() as connection:
        # The trigram indexes (migration 0017) need the pg_trgm extension's operator class; the
        # models do not declare them (SQLite has FTS5 tables in their place).
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": lambda name, kind, _parents: not (
                kind == "index" and name is not None and name.endswith("_trgm"))})
        differences = compare_metadata(context, Base.metadata)

    engine.dispose()
    assert differences == []


def test_seeding_postgres_twice_changes_nothing(pg_app) -> None:
    session = pg_app.extensions["sqlalchemy_write_sessionmaker"]()
    projects_before = session.scalar(select(func.count(Project.id)))

    again = load_reference(session) + load_demo(session, hash_password=fast_hash) + load_demo_projects(session)
    session.commit()

    assert not again
    assert projects_before and session.scalar(select(func.count(Project.id))) == projects_before


def test_nul_bytes_and_overlong_text_get_a_400_not_a_500(pg_app) -> None:
    client = login(pg_app.test_client(), "officer")
    before = state_fingerprint(pg_app)

    nul = client.post("/challenges/new", data=challenge_form(description="課題\x00です"))
    long = client.post("/challenges/new", data=challenge_form(title="長" * 121))
    long_search = client.get("/challenges?q=" + "長" * 500)

    assert (nul.status_code, long.status_code, long_search.status_code) == (400, 400, 200)
    assert state_fingerprint(pg_app) == before


def test_two_coordinators_approving_at_once_on_postgres_exactly_one_succeeds(pg_app) -> None:
    project_id = _project_in(pg_app, Stage.PILOT_REQUESTED)
    clients = [login(pg_app.test_client(), "coordinator"), login(pg_app.test_client(), "coordinator2")]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def approve(client) -> None:
        start.wait()
        statuses.append(client.post(f"/projects/{project_id}/moves/approve_pilot",
                                    data={**APPROVE, "version": "1"}).status_code)

    threads = [threading.Thread(target=approve, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    session = pg_app.extensions["sqlalchemy_sessionmaker"]()
    assert sorted(statuses) == [302, 409]
    assert session.scalar(select(func.count(ProjectStageChange.id)).where(
        ProjectStageChange.project_id == project_id, ProjectStageChange.move == "approve_pilot")) == 1


def test_a_stale_edit_is_refused_on_postgres(pg_app) -> None:
    officer = login(pg_app.test_client(), "officer")
    session = pg_app.extensions["sqlalchemy_sessionmaker"]()
    challenge_id = session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
    session.close()

    first = officer.post(f"/challenges/{challenge_id}/edit", data=challenge_form(title="一人目", version="1"))
    second = officer.post(f"/challenges/{challenge_id}/edit", data=challenge_form(title="二人目", version="1"))

    session = pg_app.extensions["sqlalchemy_sessionmaker"]()
    assert (first.status_code, second.status_code) == (302, 409)
    assert session.get(Challenge, challenge_id).title == "一人目"


def test_rankings_and_search_work_on_postgres(pg_app) -> None:
    member = login(pg_app.test_client(), "member")
    session = pg_app.extensions["sqlalchemy_sessionmaker"]()
    technology_id = session.scalar(select(Technology.id).where(Technology.title.like("AIオンデマンド%")))
    session.close()

    page = member.get(f"/technologies/{technology_id}").text
    search = member.get("/challenges?q=河内長の").text

    assert "ニュータウンの坂道と路線バス縮小" in page
    assert "ニュータウンの坂道と路線バス縮小" in search


def test_migrations_upgrade_without_the_right_to_create_pg_trgm(empty_postgres_url) -> None:
    """An operator's role that may create tables but not extensions (the usual managed database):
    the upgrade completes, and only the trigram indexes (search speed) are left out."""
    import uuid

    from sqlalchemy import inspect, text
    from sqlalchemy.engine import make_url

    role = f"plain_{uuid.uuid4().hex[:8]}"
    admin = make_engine(empty_postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE ROLE {role} LOGIN"))
        connection.execute(text(f"GRANT CREATE ON SCHEMA public TO {role}"))
    engine = make_engine(make_url(empty_postgres_url).set(username=role).render_as_string(hide_password=False))
    try:
        upgrade_database(engine)
        with engine.connect() as connection:
            indexes = {index["name"] for index in inspect(connection).get_indexes("technologies")}
            extension = connection.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'"))
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f"DROP OWNED BY {role}"))
            connection.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
    assert extension == 0
    assert "ix_technologies_updated" in indexes and "technologies_search_text_trgm" not in indexes


def test_a_dropped_test_database_is_gone_from_the_cluster(postgres_databases, postgres_socket) -> None:
    # The URL carries the socket directory (with slashes) in its query string; a drop that took the
    # last path segment as the name dropped nothing, and every test's copy stayed in /dev/shm.
    import psycopg

    url = postgres_databases.create("demo")
    name = url.split("@/", 1)[1].split("?", 1)[0]

    def names() -> set[str]:
        with psycopg.connect(host=str(postgres_socket), user="postgres", dbname="postgres") as connection:
            return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}

    assert name in names()
    postgres_databases.drop(url)
    assert name not in names()
