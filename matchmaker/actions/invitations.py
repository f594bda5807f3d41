"""Invitations to propose: an officer asks a company; the company proposes (which accepts the
invitation, see workflow.propose) or declines."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Invitation, InvitationStatus, Project, User, utcnow

from .. import notifications
from ..domain.errors import Conflict, NotFound, PermissionDenied
from ..policies import Permission, can, require
from ..policies import invitations as invitation_policy
from .audit import record_change
from .catalogue import get_challenge, get_technology
from .notify import members_of, notify, officers_of
from .validation import clean_text

MESSAGE_MAX = 2000


def _params(invitation: Invitation) -> dict[str, object]:
    challenge, technology = invitation.challenge, invitation.technology
    return {"title": challenge.title, "challenge_id": challenge.id, **notifications.municipality_params(challenge.municipality),
            "technology": technology.title, "company": technology.organization.name}


def get_invitation(session: Session, invitation_id: int, *, actor: User) -> Invitation:
    """Raises NotFound unless the actor may see it."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or actor is None or not invitation_policy.can_view(actor, invitation):
        raise NotFound()
    return invitation


def invite(session: Session, challenge_id: int, technology_id: int, *, actor: User, message: str = "") -> Invitation:
    """Invite a technology's company to propose for the actor's municipality's open issue.

    Raises NotFound, PermissionDenied, ValidationError or Conflict (already invited).
    """
    require(actor, Permission.INVITATION_CREATE)
    challenge = get_challenge(session, challenge_id, actor=actor)
    technology = get_technology(session, technology_id, actor=actor)
    if not can(actor, Permission.INVITATION_CREATE, (challenge, technology)):
        raise PermissionDenied(_l("招待できるのは、自分の自治体の受付中の課題に、掲載中の技術だけです。"))
    message = clean_text(message, field="message", max_length=MESSAGE_MAX, required=False, multiline=True)
    if session.scalar(select(Invitation.id).where(Invitation.challenge_id == challenge.id,
                                                  Invitation.technology_id == technology.id)) is not None:
        raise Conflict(_l("この技術は既にこの課題に招待しています。"))
    invitation = Invitation(challenge=challenge, technology=technology, invited_by_id=actor.id, message=message,
                            status=InvitationStatus.PENDING, created_at=utcnow())
    session.add(invitation)
    session.flush()
    record_change(session, actor=actor, entity_type="challenge", entity_id=challenge.id, action="invitation:create",
                  after={"invitation_id": invitation.id, "technology_id": technology.id, "message": message})
    notify(session, members_of(session, technology.organization_id), kind="invitation_to_propose", params=_params(invitation),
           actor=actor)
    return invitation


def decline(session: Session, invitation_id: int, *, actor: User, reason: str = "") -> Invitation:
    """The invited company says no. Raises NotFound, PermissionDenied, ValidationError or Conflict."""
    invitation = get_invitation(session, invitation_id, actor=actor)
    require(actor, Permission.INVITATION_RESPOND, invitation)
    reason = clean_text(reason, field="reason", max_length=MESSAGE_MAX, required=False, multiline=True)
    if invitation.status is not InvitationStatus.PENDING:
        raise Conflict(_l("この招待には既に回答しています。"))
    invitation.status, invitation.response = InvitationStatus.DECLINED, reason
    invitation.responded_at, invitation.responded_by_id = utcnow(), actor.id
    session.flush()
    record_change(session, actor=actor, entity_type="challenge", entity_id=invitation.challenge_id,
                  action="invitation:decline", before={"status": "pending"},
                  after={"invitation_id": invitation.id, "status": "declined"}, reason=reason)
    notify(session, officers_of(session, invitation.challenge.municipality_id), kind="invitation_declined",
           params=_params(invitation), actor=actor)
    return invitation


def accept_by_proposal(session: Session, project: Project, *, actor: User) -> list[Invitation]:
    """Mark the pending invitations this proposal answers (same issue and technology) accepted;
    called by workflow.propose, whose history names them."""
    challenge_ids, technology_ids = [c.id for c in project.challenges], [t.id for t in project.technologies]
    accepted = list(session.scalars(select(Invitation).where(
        Invitation.challenge_id.in_(challenge_ids), Invitation.technology_id.in_(technology_ids),
        Invitation.status == InvitationStatus.PENDING)))
    for invitation in accepted:
        invitation.status, invitation.project_id = InvitationStatus.ACCEPTED, project.id
        invitation.responded_at, invitation.responded_by_id = utcnow(), actor.id
        record_change(session, actor=actor, entity_type="challenge", entity_id=invitation.challenge_id,
                      action="invitation:accept", before={"status": "pending"},
                      after={"invitation_id": invitation.id, "status": "accepted", "project_id": project.id})
    return accepted
