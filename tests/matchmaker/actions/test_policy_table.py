"""Every rule of who may do what, at the action level: role x action -> done, refused or hidden.

The actions are called directly with a session and an actor, as jobs and the CLI call them; no
Flask app is involved. The expected outcome is written out here from the rules, not read from the
policy module, so the table checks the code against the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest
from sqlalchemy.orm import Session

from matchmaker.actions import accounts, catalogue, invitations, vocabulary, workflow
from matchmaker.db import make_engine
from matchmaker.domain.errors import NotFound, PermissionDenied
from models import ChallengeStatus, Invitation, MembershipStatus, Role, Stage, VocabularyEntry, vocabulary_pair_key
from tests import factories

ACTORS = ("own_officer", "other_officer", "lead_member", "other_member", "field_coordinator", "other_coordinator",
          "admin")
OK, DENIED, HIDDEN = "done", "refused", "hidden"


class World:
    """The ids of the module's rows, known once the engine fixture has built them."""

    ids: ClassVar[dict[str, int]] = {}


@pytest.fixture(scope="module")
def engine(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One database for the module: each case runs in a transaction that is rolled back."""
    url = databases.create("reference", tmp_path_factory.mktemp("policy-table"))
    engine = make_engine(url)
    with Session(engine) as session:
        own, other = factories.municipality(session, "河内長野市"), factories.municipality(session, "豊中市")
        lead, rival = factories.make_organization(session), factories.make_organization(session)
        pending = factories.make_organization(session, status=MembershipStatus.PENDING)
        challenge = factories.make_challenge(session, own, field_keys=("elderly",))
        draft = factories.make_challenge(session, own, field_keys=("elderly",), status=ChallengeStatus.DRAFT)
        technology = factories.make_technology(session, lead, field_keys=("elderly",))
        rival_technology = factories.make_technology(session, rival, field_keys=("elderly",))
        pending_technology = factories.make_technology(session, pending, field_keys=("elderly",))
        accepted = factories.make_project(session, challenge, technology, stage=Stage.ACCEPTED)
        invitation = Invitation(challenge=challenge, technology=technology, message="ぜひ")
        session.add(invitation)
        implemented = factories.make_project(session, challenge, technology, stage=Stage.IMPLEMENTED)
        users = {
            "own_officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=own),
            "other_officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=other),
            "lead_member": factories.make_user(session, Role.COMPANY_MEMBER, organization=lead),
            "other_member": factories.make_user(session, Role.COMPANY_MEMBER, organization=rival),
            "field_coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("elderly",)),
            "other_coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("tourism",)),
            "admin": factories.make_user(session, Role.ADMIN),
        }
        synonym = VocabularyEntry(term="見守り", variant="みまもり隊", pair_key=vocabulary_pair_key("見守り", "みまもり隊"),
                                  reason="住民の呼び方")
        session.add(synonym)
        session.commit()
        World.ids = {
            "synonym": synonym.id,
            "own": own.id, "other": other.id, "invitation": invitation.id, "lead": lead.id, "pending": pending.id, "challenge": challenge.id, "draft": draft.id,
            "technology": technology.id, "rival_technology": rival_technology.id,
            "pending_technology": pending_technology.id, "accepted": accepted.id, "implemented": implemented.id,
            **{f"user:{name}": user.id for name, user in users.items()},
        }
    yield engine
    engine.dispose()
    databases.drop(url)


def _challenge_input(**overrides: Any) -> catalogue.ChallengeInput:
    values: dict[str, Any] = {"title": "新しい課題", "description": "説明", "field_keys": ["elderly"],
                              "municipality_id": World.ids["own"]}
    return catalogue.ChallengeInput(**(values | overrides))


def _technology_input() -> catalogue.TechnologyInput:
    return catalogue.TechnologyInput(title="新しい技術", description="説明", field_keys=["elderly"],
                                     organization_id=World.ids["lead"])


Act = Callable[[Session, Any], object]
i = lambda key: World.ids[key]

# action: (call, expected outcome per actor in ACTORS order)
TABLE: dict[str, tuple[Act, tuple[str, ...]]] = {
    "see an open issue": (lambda s, a: catalogue.get_challenge(s, i("challenge"), actor=a),
                          (OK, OK, OK, OK, OK, OK, OK)),
    "see a draft issue": (lambda s, a: catalogue.get_challenge(s, i("draft"), actor=a),
                          (OK, HIDDEN, HIDDEN, HIDDEN, OK, OK, OK)),
    "post an issue": (lambda s, a: catalogue.create_challenge(s, _challenge_input(), actor=a),
                      (OK, OK, DENIED, DENIED, OK, OK, OK)),
    "edit an issue": (lambda s, a: catalogue.update_challenge(s, i("challenge"), _challenge_input(), actor=a,
                                                              expected_version=None),
                      (OK, DENIED, DENIED, DENIED, OK, OK, OK)),
    "close an issue": (lambda s, a: catalogue.change_challenge_status(s, i("challenge"), "closed", actor=a,
                                                                      expected_version=None),
                       (OK, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    "shortlist a technology": (lambda s, a: catalogue.shortlist(s, i("challenge"), i("technology"), actor=a),
                               (OK, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    "see a technology": (lambda s, a: catalogue.get_technology(s, i("technology"), actor=a),
                         (OK, OK, OK, OK, OK, OK, OK)),
    "see a pending applicant's technology": (
        lambda s, a: catalogue.get_technology(s, i("pending_technology"), actor=a),
        (HIDDEN, HIDDEN, HIDDEN, HIDDEN, OK, OK, OK)),
    "register a technology": (lambda s, a: catalogue.create_technology(s, _technology_input(), actor=a),
                              (DENIED, DENIED, OK, OK, OK, OK, OK)),
    "edit a technology": (lambda s, a: catalogue.update_technology(s, i("technology"), _technology_input(), actor=a,
                                                                   expected_version=None),
                          (DENIED, DENIED, OK, DENIED, OK, OK, OK)),
    # Coordinators edit a technology's content, but retiring it is the company's own decision.
    "retire a technology": (lambda s, a: catalogue.set_technology_retired(s, i("technology"), True, actor=a,
                                                                          expected_version=None),
                            (DENIED, DENIED, OK, DENIED, DENIED, DENIED, OK)),
    "mark a technology not offered": (lambda s, a: catalogue.set_technology_offered(s, i("technology"), False, actor=a,
                                                                                    expected_version=None),
                                      (DENIED, DENIED, OK, DENIED, DENIED, DENIED, OK)),
    "propose with the lead's technology": (
        lambda s, a: workflow.propose(s, actor=a, challenge_ids=[i("challenge")], technology_ids=[i("technology")],
                                      title="提案", summary=""),
        (DENIED, DENIED, OK, DENIED, DENIED, DENIED, OK)),
    "invite a company to propose": (
        lambda s, a: invitations.invite(s, i("challenge"), i("rival_technology"), actor=a, message="ご提案ください"),
        (OK, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    "decline an invitation": (lambda s, a: invitations.decline(s, i("invitation"), actor=a, reason="体制が組めない"),
                              (DENIED, HIDDEN, OK, HIDDEN, DENIED, DENIED, OK)),
    "see a project": (lambda s, a: workflow.get_project(s, i("accepted"), actor=a),
                      (OK, HIDDEN, OK, HIDDEN, OK, HIDDEN, OK)),
    "cancel a project": (lambda s, a: workflow.make_move(s, i("accepted"), "cancel",
                                                         workflow.MoveInput(None, comment="理由"), actor=a),
                         (OK, HIDDEN, DENIED, HIDDEN, OK, HIDDEN, OK)),
    "withdraw a proposal": (lambda s, a: workflow.make_move(s, i("accepted"), "withdraw",
                                                            workflow.MoveInput(None, comment="理由"), actor=a),
                            (DENIED, HIDDEN, OK, HIDDEN, DENIED, HIDDEN, OK)),
    "start a rollout": (lambda s, a: workflow.start_rollout(s, i("implemented"), actor=a, municipality_ids=[i("other")],
                                                            pattern="as_is", summary="豊中市での導入案"),
                        (DENIED, HIDDEN, OK, HIDDEN, OK, HIDDEN, OK)),
    "review an application": (lambda s, a: accounts.review_membership(s, i("pending"), actor=a, approve=True),
                              (DENIED, DENIED, DENIED, DENIED, OK, OK, OK)),
    "create a staff account": (lambda s, a: accounts.create_user(
        s, actor=a, email="new.staff@example.jp", password="long-enough-pass", display_name="新任",
        role="coordinator", field_keys=["elderly"]), (DENIED, DENIED, DENIED, DENIED, DENIED, DENIED, OK)),
    "add a synonym pair": (lambda s, a: vocabulary.add_entry(
        s, vocabulary.VocabularyInput("デマンド交通", "乗合タクシー", "同じ仕組み"), actor=a),
        (DENIED, DENIED, DENIED, DENIED, OK, OK, OK)),
    "edit a synonym pair": (lambda s, a: vocabulary.update_entry(
        s, i("synonym"), vocabulary.VocabularyInput("見守り", "見守り隊", "表記"), actor=a, expected_version=1),
        (DENIED, DENIED, DENIED, DENIED, OK, OK, OK)),
    "remove a synonym pair": (lambda s, a: vocabulary.remove_entry(s, i("synonym"), actor=a, expected_version=1,
                                                                   reason="不要"),
                              (DENIED, DENIED, DENIED, DENIED, OK, OK, OK)),
}
CASES = [(action, actor, expected[n]) for action, (_, expected) in TABLE.items() for n, actor in enumerate(ACTORS)]


@pytest.mark.parametrize(("action", "actor", "expected"), CASES, ids=[f"{a}-{b}" for a, b, _ in CASES])
def test_policy_table(engine: Any, action: str, actor: str, expected: str) -> None:
    act, _ = TABLE[action]
    with Session(engine) as session:
        user = session.get(factories.accounts.User, World.ids[f"user:{actor}"])
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
