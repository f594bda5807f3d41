"""The work waiting for a person: chosen in SQL by the same rule as the workflow's moves, the
longest waiting first, at most a page of it with the total (never every open project loaded)."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from matchmaker.actions import workflow
from matchmaker.policies import projects as project_policy
from matchmaker.queries import projects as reads
from models import Project, Role, Stage
from tests import factories


def test_waiting_is_exactly_the_projects_with_a_move_forward_for_each_viewer(db_session) -> None:
    """Every stage, with viewers in and out of each part: the SQL list equals the Python rule
    (visible, and a move other than ending or turning back is open to the viewer)."""
    session = db_session
    places = [factories.municipality(session, name) for name in ("堺市", "豊中市")]
    companies = [factories.make_organization(session) for _ in range(2)]
    challenges = [factories.make_challenge(session, places[i], field_keys=(key,))
                  for i, key in enumerate(("elderly", "tourism"))]
    technologies = [factories.make_technology(session, companies[i], field_keys=(key,))
                    for i, key in enumerate(("mobility", "data"))]
    for n, (stage, challenge, technology) in enumerate(itertools.product(Stage, challenges, technologies)):
        factories.make_project(session, challenge, technology, stage=stage, title=f"案件{n}")
    viewers = [
        factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=places[0]),
        factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=factories.municipality(session, "枚方市")),
        factories.make_user(session, Role.COMPANY_MEMBER, organization=companies[0]),
        factories.make_user(session, Role.COORDINATOR, field_keys=("elderly",)),
        factories.make_user(session, Role.COORDINATOR, field_keys=("mobility",)),
        factories.make_user(session, Role.COORDINATOR, field_keys=("health",)),
        factories.make_user(session, Role.ADMIN),
    ]
    session.commit()
    everything = list(session.scalars(select(Project).order_by(Project.stage_changed_at, Project.id)))
    for viewer in viewers:
        expected = [(p.id, [m.name for m in workflow.available_moves(p, viewer) if m.name not in reads.NOT_WAITING])
                    for p in everything if project_policy.can_view(viewer, p)]
        expected = [(p, moves) for p, moves in expected if moves]
        found = reads.waiting(session, viewer, limit=1000)
        assert [(p.id, [m.name for m in moves]) for p, moves in found] == expected, viewer.email
        assert found.total == len(expected)
    # The rule is not vacuous: each kind of viewer has work somewhere, the outsider none.
    assert reads.waiting(session, viewers[0]).total > 0 and reads.waiting(session, viewers[3]).total > 0
    assert reads.waiting(session, viewers[1]).total == 0 and reads.waiting(session, viewers[5]).total == 0


def test_the_inbox_shows_the_longest_waiting_first_and_counts_the_rest(app, client, db_session) -> None:
    session = db_session
    place = factories.municipality(session, "堺市")
    challenge = factories.make_challenge(session, place, field_keys=("elderly",))
    technology = factories.make_technology(session, factories.make_organization(session), field_keys=("elderly",))
    start = dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)
    extra = 4
    for n in range(reads.WAITING_SHOWN + extra):
        factories.make_project(session, challenge, technology, stage=Stage.PILOT_REQUESTED, title=f"案件{n:03d}",
                               start=start + dt.timedelta(hours=n))
    coordinator = factories.make_user(session, Role.COORDINATOR, field_keys=("elderly",))
    session.commit()

    found = reads.waiting(session, coordinator)
    assert found.total == reads.WAITING_SHOWN + extra and len(found) == reads.WAITING_SHOWN and found.more == extra
    assert [p.title for p, _ in found] == [f"案件{n:03d}" for n in range(reads.WAITING_SHOWN)]

    client.post("/login", data={"email": coordinator.email, "password": factories.PASSWORD})
    page = client.get("/inbox").text
    assert f"対応が必要なもの（{reads.WAITING_SHOWN + extra}件）" in page
    assert f"ほかに{extra}件あります" in page and "/projects" in page
    assert "案件000" in page and f"案件{reads.WAITING_SHOWN:03d}" not in page


def test_notifications_are_newest_first_by_time_not_by_id(db_session) -> None:
    # History written out of time order (seeded or imported projects, PostgreSQL ids taken before
    # commit): the id order is not the order things happened in.
    from matchmaker import digests

    session = db_session
    reader = factories.make_user(session, Role.COORDINATOR, field_keys=("elderly",))
    start = dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)
    for day in (3, 1, 4, 2):
        at = start + dt.timedelta(days=day)
        digests.notify(session, [reader], "proposal", {"title": f"day{day}"}, now=itertools.repeat(at).__next__,
                       mail=False)
    session.commit()

    assert [(n.params or {})["title"] for n in reads.notifications(session, reader)] == [
        "day4", "day3", "day2", "day1"]
