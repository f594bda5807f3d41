"""Invitations to propose: who may send one, answer it, and see it.

An officer invites for the municipality's own open issue a technology that is still offered; the
invited company's members answer. An invitation, like the shortlist it often comes from, is
private: it is seen by the municipality's officers, the invited company's members, coordinators
and admins.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from models import Challenge, ChallengeStatus, Invitation, Role, Technology, User

from . import catalogue

_STEWARDS = (Role.COORDINATOR, Role.ADMIN)


def can_invite(user: User, pair: tuple[Challenge, Technology]) -> bool:
    challenge, technology = pair
    return (challenge.status is ChallengeStatus.OPEN and not technology.is_retired
            and catalogue.owns_challenge(user, challenge) and catalogue.can_view_technology(user, technology))


def can_respond(user: User, invitation: Invitation) -> bool:
    return catalogue.owns_technology(user, invitation.technology)


def can_view(user: User, invitation: Invitation) -> bool:
    return (user.role in _STEWARDS or catalogue.owns_challenge(user, invitation.challenge)
            or catalogue.owns_technology(user, invitation.technology))


def visible(user: User) -> ColumnElement[bool]:
    """`can_view` as a WHERE clause over Invitation."""
    if user.role in _STEWARDS:
        return true()
    if user.role is Role.MUNICIPAL_OFFICER and user.municipality_id is not None:
        return Invitation.challenge.has(Challenge.municipality_id == user.municipality_id)
    if user.role is Role.COMPANY_MEMBER and user.organization_id is not None:
        return Invitation.technology.has(Technology.organization_id == user.organization_id)
    return false()


__all__ = ["can_invite", "can_respond", "can_view", "visible"]
