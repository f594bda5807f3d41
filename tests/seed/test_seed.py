from collections import Counter

from sqlalchemy import func, select

from models import (
    FIELD_KEYS,
    Challenge,
    ChallengeStatus,
    Field,
    Municipality,
    Organization,
    Project,
    Role,
    Stage,
    Technology,
    User,
)
from seed import load_demo, load_demo_projects, load_reference
from tests.conftest import fast_hash


def _table_counts(session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Municipality, Field, Organization, Technology, User, Challenge, Project)
    }


def test_seeding_twice_changes_nothing(db_session) -> None:
    load_reference(db_session)
    load_demo(db_session, hash_password=fast_hash)
    load_demo_projects(db_session)
    db_session.commit()
    before = _table_counts(db_session)

    second = (load_reference(db_session) + load_demo(db_session, hash_password=fast_hash)
              + load_demo_projects(db_session))
    db_session.commit()

    assert second == Counter()
    assert _table_counts(db_session) == before


def test_fields_are_the_thirteen_stable_keys_in_order(db_session) -> None:
    keys = list(db_session.scalars(select(Field.key).order_by(Field.position)))
    assert tuple(keys) == FIELD_KEYS


def test_demo_data_meets_the_promised_volumes(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    challenges = list(session.scalars(select(Challenge)))
    technologies = list(session.scalars(select(Technology)))
    challenge_fields = {f.key for c in challenges for f in c.fields}
    roles = {u.role for u in session.scalars(select(User))}
    officer_municipalities = {
        u.municipality_id for u in session.scalars(select(User).where(User.role == Role.MUNICIPAL_OFFICER))
    }

    assert len(challenges) >= 60
    assert len({c.municipality_id for c in challenges}) >= 20
    assert challenge_fields == set(FIELD_KEYS)
    assert len(technologies) >= 150
    assert len({t.organization_id for t in technologies}) >= 60
    assert roles == set(Role)
    assert len(officer_municipalities) >= 3
    assert sum(c.status is ChallengeStatus.OPEN for c in challenges) >= 60


def test_demo_projects_tell_the_whole_story(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    projects = list(session.scalars(select(Project)))

    stages = {p.stage for p in projects}
    rollouts = [p for p in projects if p.origin_project_id is not None]
    assert stages == set(Stage)
    assert rollouts and all(r.origin.stage is Stage.IMPLEMENTED for r in rollouts)
    assert all(p.changes and p.changes[-1].to_stage is p.stage for p in projects)
