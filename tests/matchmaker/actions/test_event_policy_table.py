"""Who may do what with events, at the action level: role x action -> done, refused or hidden.

Written out from the rules (coordinators and admins run events; everyone signed in registers; a
company proposes from a past event with its own technology), not read from the policy module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest
from sqlalchemy.orm import Session

from matchmaker.actions import events
from matchmaker.db import make_engine
from matchmaker.domain.errors import NotFound, PermissionDenied
from matchmaker.policies import Permission, can
from models import Role, User
from tests import factories

ACTORS = ("officer", "member", "other_member", "coordinator", "admin")
OK, DENIED, HIDDEN = "done", "refused", "hidden"


class World:
    ids: ClassVar[dict[str, int]] = {}


@pytest.fixture(scope="module")
def engine(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    url = databases.create("reference", tmp_path_factory.mktemp("event-policy"))
    engine = make_engine(url)
    with Session(engine) as session:
        place = factories.municipality(session, "堺市")
        company, rival = factories.make_organization(session), factories.make_organization(session)
        issue = factories.make_challenge(session, place)
        technology = factories.make_technology(session, company)
        upcoming = factories.make_event(session, challenges=[issue])
        past = factories.make_event(session, starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=2),
                                    challenges=[issue])
        users = {
            "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=place),
            "member": factories.make_user(session, Role.COMPANY_MEMBER, organization=company),
            "other_member": factories.make_user(session, Role.COMPANY_MEMBER, organization=rival),
            "coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("tourism",)),
            "admin": factories.make_user(session, Role.ADMIN),
        }
        session.commit()
        World.ids = {"issue": issue.id, "technology": technology.id, "upcoming": upcoming.id, "past": past.id,
                     **{f"user:{name}": user.id for name, user in users.items()}}
    yield engine
    engine.dispose()
    databases.drop(url)


def _input() -> events.EventInput:
    return events.EventInput(title="ワーキンググループ", kind="working_group", starts="2027-05-10 10:00",
                             place="オンライン会議室", capacity="20", challenge_ids=[World.ids["issue"]])


def _require_seen(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied()


i = lambda key: World.ids[key]
Act = Callable[[Session, User], object]

TABLE: dict[str, tuple[Act, tuple[str, ...]]] = {
    "see an event": (lambda s, a: events.get_event(s, i("upcoming"), actor=a), (OK, OK, OK, OK, OK)),
    "create an event": (lambda s, a: events.create_event(s, _input(), actor=a), (DENIED, DENIED, DENIED, OK, OK)),
    "edit an event": (lambda s, a: events.update_event(s, i("upcoming"), _input(), actor=a, expected_version=None),
                      (DENIED, DENIED, DENIED, OK, OK)),
    "register": (lambda s, a: events.register(s, i("upcoming"), actor=a), (OK, OK, OK, OK, OK)),
    "register and cancel": (lambda s, a: (events.register(s, i("upcoming"), actor=a),
                                          events.cancel_registration(s, i("upcoming"), actor=a)),
                            (OK, OK, OK, OK, OK)),
    "calendar without a seat": (lambda s, a: events.calendar_event(s, i("upcoming"), actor=a),
                                (DENIED, DENIED, DENIED, OK, OK)),
    "calendar with a seat": (lambda s, a: (events.register(s, i("upcoming"), actor=a),
                                           events.calendar_event(s, i("upcoming"), actor=a)),
                             (OK, OK, OK, OK, OK)),
    "see the registrants": (lambda s, a: _require_seen(can(a, Permission.EVENT_REGISTRANTS)),
                            (DENIED, DENIED, DENIED, OK, OK)),
    "propose from a past event with the lead's technology": (
        lambda s, a: events.propose_from_event(s, i("past"), actor=a, challenge_id=i("issue"),
                                               technology_ids=[i("technology")], title="提案", summary=""),
        (DENIED, OK, DENIED, DENIED, OK)),
    "propose on an unknown event": (
        lambda s, a: events.propose_from_event(s, 999_999, actor=a, challenge_id=i("issue"),
                                               technology_ids=[i("technology")], title="提案", summary=""),
        (HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN)),
}
CASES = [(action, actor, expected[n]) for action, (_, expected) in TABLE.items() for n, actor in enumerate(ACTORS)]


@pytest.mark.parametrize(("action", "actor", "expected"), CASES, ids=[f"{a}-{b}" for a, b, _ in CASES])
def test_event_policy_table(engine: Any, action: str, actor: str, expected: str) -> None:
    act, _ = TABLE[action]
    with Session(engine) as session:
        user = session.get(User, World.ids[f"user:{actor}"])
        assert user is not None
        try:
            act(session, user)
            outcome = OK
        except PermissionDenied:
            outcome = DENIED
        except NotFound:
            outcome = HIDDEN
        finally:
            session.rollback()
    assert outcome == expected


def test_every_event_permission_is_in_the_table() -> None:
    """A new event permission needs a row above."""
    event_permissions = {p for p in Permission if p.value.startswith("event:")}
    assert event_permissions == {Permission.EVENT_VIEW, Permission.EVENT_CREATE, Permission.EVENT_EDIT,
                                 Permission.EVENT_REGISTER, Permission.EVENT_REGISTRANTS, Permission.EVENT_PROPOSE}
