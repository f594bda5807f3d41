"""The project visibility rule in Python (one project) and in SQL (lists and counts) agree."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.policies import projects as policy
from models import Project, Role, Stage, User
from tests import factories


def test_sql_filter_matches_the_predicate_for_every_user_and_project(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    toyonaka = factories.municipality(session, "豊中市")
    company = factories.make_organization(session)
    challenge = factories.make_challenge(session, toyonaka, field_keys=("childcare",))
    technology = factories.make_technology(session, company, field_keys=("education",))
    factories.make_project(session, challenge, technology, stage=Stage.ACCEPTED)
    factories.make_user(session, Role.COORDINATOR, field_keys=())  # covers nothing, sees nothing
    factories.make_user(session, Role.COMPANY_MEMBER, organization=company)
    session.flush()
    projects = list(session.scalars(select(Project)))
    users = list(session.scalars(select(User)))
    assert len(projects) > 10 and {u.role for u in users} == set(Role)

    for user in users:
        in_sql = set(session.scalars(select(Project.id).where(policy.visible(user))))
        in_python = {p.id for p in projects if policy.can_view(user, p)}
        assert in_sql == in_python, user.email
    session.close()


def test_nobody_inactive_sees_a_project(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    admin = session.scalar(select(User).where(User.role == Role.ADMIN))
    admin.is_active = False

    assert list(session.scalars(select(Project.id).where(policy.visible(admin)))) == []
    assert not any(policy.can_view(admin, p) for p in session.scalars(select(Project)))
    session.close()
