import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from matchmaker.actions.workflow import MOVES
from models import (
    FIELD_KEYS,
    AuditEvent,
    Challenge,
    ChallengeStatus,
    Field,
    Municipality,
    Notification,
    Organization,
    OutboxEmail,
    Project,
    ProjectStageChange,
    Role,
    Stage,
    Technology,
    User,
)
from seed import load_demo, load_demo_projects, load_reference
from seed.loader import _at, _read_toml
from tests.conftest import fast_hash


def _table_counts(session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model))
        for model in (Municipality, Field, Organization, Technology, User, Challenge, Project, ProjectStageChange,
                      AuditEvent, Notification, OutboxEmail)
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


def test_seeded_histories_are_replayed_through_the_actions(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    changes = list(session.scalars(select(ProjectStageChange).order_by(ProjectStageChange.id)))
    audits = list(session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "project")
                                  .order_by(AuditEvent.id)))

    # One audit row per history row, by the same person at the same time, as a real move writes.
    assert [(a.entity_id, a.action, a.actor_id, a.at) for a in audits] == [
        (c.project_id, f"project:{c.move}", c.actor_id, c.at) for c in changes]
    # Notifications went to the participants, dated like the moves that caused them.
    notifications = list(session.scalars(select(Notification).where(Notification.project_id.is_not(None))))
    assert notifications and {n.created_at for n in notifications} <= {c.at for c in changes}
    # Demo mail is queued like real mail but withheld: never claimed, never sent.
    mails = list(session.scalars(select(OutboxEmail)))
    assert mails and {(m.status, m.sent_at) for m in mails} == {("withheld", None)}


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC, PostgreSQL aware datetimes."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def test_seeded_stages_and_dates_follow_demo_projects_toml(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    document = next(_read_toml("demo_projects.toml"))
    by_title = {p.title: p for p in session.scalars(select(Project))}
    stage_of = {"propose": Stage.PROPOSED, "rollout": Stage.PROPOSED} | {
        name: move.target for name, move in MOVES.items()}

    for record in document["project"]:
        project = by_title[record["title"]]
        assert [(c.move, c.to_stage, _utc(c.at)) for c in project.changes] == [
            (m[0], stage_of[m[0]], _at(m[1])) for m in record["moves"]]
        assert project.stage is stage_of[record["moves"][-1][0]]
        assert _utc(project.created_at) == _at(record["moves"][0][1])
    rollouts = [p for p in by_title.values() if p.origin is not None]
    assert [[(c.move, _utc(c.at)) for c in p.changes] for p in rollouts] == [
        [(m[0], _at(m[1])) for m in r["moves"]] for r in document["rollout"]]
