"""Who may see and do what: one small policy module per resource, beside the actions.

`can(actor, permission, obj)` first asks the role table (`permissions.py`), then, when an object
is given, the resource's rule about that object. Actions enforce it with `require`, query
functions filter with the modules' SQL clauses (the same rules), and views and templates only
ask `can` to hide what an action would refuse anyway.

Objects: a Challenge, Technology, Organization or Project; for `project:propose` a
(challenge, technology) pair; for `project:move` a (project, move) pair; for `contact:view` and
`shortlist:view` the challenge; for `contact:view` the organization; for `event:register` the
event; for `event:propose` an (event, challenge, technology) triple; for `invitation:create` a
(challenge, technology) pair; for `invitation:respond` the invitation; for `question:ask` the
challenge; for `question:answer` the question; for `message:post` the project.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models import Challenge, ChallengeStatus, Technology, User

from ..domain.errors import PermissionDenied
from . import catalogue, events, invitations, organizations, projects, questions
from .permissions import ROLE_PERMISSIONS, Permission

__all__ = ["ROLE_PERMISSIONS", "Permission", "can", "catalogue", "events", "invitations", "organizations",
           "projects", "questions", "require"]


def _propose(user: User, pair: tuple[Challenge, Technology]) -> bool:
    challenge, technology = pair
    return (challenge.status is ChallengeStatus.OPEN and not technology.is_retired
            and catalogue.owns_technology(user, technology) and catalogue.can_view_challenge(user, challenge))


# The rule about one object, per permission. A permission without an entry depends on the role alone.
RULES: dict[Permission, Callable[[User, Any], bool]] = {
    Permission.CHALLENGE_VIEW: catalogue.can_view_challenge,
    Permission.CHALLENGE_EDIT: catalogue.can_edit_challenge,
    Permission.CHALLENGE_CHANGE_STATUS: catalogue.owns_challenge,
    Permission.SHORTLIST_VIEW: catalogue.can_view_shortlist,
    Permission.SHORTLIST_EDIT: catalogue.owns_challenge,
    Permission.TECHNOLOGY_VIEW: catalogue.can_view_technology,
    Permission.TECHNOLOGY_EDIT: catalogue.can_edit_technology,
    Permission.TECHNOLOGY_CHANGE_STATUS: catalogue.owns_technology,
    Permission.ORGANIZATION_VIEW: organizations.can_view,
    Permission.ORGANIZATION_MANAGE: organizations.can_manage,
    Permission.CONTACT_VIEW: catalogue.can_view_contact,
    Permission.PROJECT_VIEW: projects.can_view,
    Permission.PROJECT_PROPOSE: _propose,
    Permission.PROJECT_MOVE: lambda user, pair: projects.can_make(user, *pair),
    Permission.PROJECT_ROLLOUT: projects.can_start_rollout,
    Permission.EVENT_REGISTER: events.can_register,
    Permission.EVENT_PROPOSE: events.can_propose_from,
    Permission.INVITATION_CREATE: invitations.can_invite,
    Permission.INVITATION_RESPOND: invitations.can_respond,
    Permission.QUESTION_ASK: questions.can_ask,
    Permission.QUESTION_ANSWER: questions.can_answer,
    Permission.MESSAGE_POST: projects.can_post_message,
}


def can(actor: User | None, permission: Permission | str, obj: Any = None) -> bool:
    if actor is None or not actor.is_active:
        return False
    permission = Permission(permission)
    if permission not in ROLE_PERMISSIONS[actor.role]:
        return False
    rule = RULES.get(permission)
    return obj is None or rule is None or rule(actor, obj)


def require(actor: User | None, permission: Permission | str, obj: Any = None) -> None:
    """Raises PermissionDenied unless `can` allows it."""
    if not can(actor, permission, obj):
        raise PermissionDenied()

