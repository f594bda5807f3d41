"""The permission vocabulary, named `resource:action`, and which role holds which.

Holding a permission is necessary, not sufficient: the resource's policy module adds the rule
about the object (whose issue it is, whether the project is one's own). Every permission here
is checked somewhere; a test fails on one that is not.
"""

from __future__ import annotations

import enum

from models import Role


class Permission(str, enum.Enum):
    # catalogue
    CHALLENGE_VIEW = "challenge:view"
    CHALLENGE_CREATE = "challenge:create"
    CHALLENGE_EDIT = "challenge:edit"
    CHALLENGE_CHANGE_STATUS = "challenge:change_status"
    CHALLENGE_ASSIGN = "challenge:assign"  # post for any municipality, not only one's own
    SHORTLIST_VIEW = "shortlist:view"
    SHORTLIST_EDIT = "shortlist:edit"
    TECHNOLOGY_VIEW = "technology:view"
    TECHNOLOGY_CREATE = "technology:create"
    TECHNOLOGY_EDIT = "technology:edit"
    # retire, reactivate, offered or not: the company's own decision, like an issue's status
    TECHNOLOGY_CHANGE_STATUS = "technology:change_status"
    TECHNOLOGY_ASSIGN = "technology:assign"  # register for any organization, not only one's own
    CONTACT_VIEW = "contact:view"
    # projects and the pages built on them
    PROJECT_VIEW = "project:view"
    PROJECT_PROPOSE = "project:propose"
    PROJECT_MOVE = "project:move"
    PROJECT_ROLLOUT = "project:rollout"
    INVITATION_CREATE = "invitation:create"  # an officer invites a company to propose
    INVITATION_RESPOND = "invitation:respond"  # the invited company declines (it accepts by proposing)
    # questions on issues
    QUESTION_ASK = "question:ask"
    QUESTION_ANSWER = "question:answer"
    MESSAGE_POST = "message:post"  # write in a project's messages (its participants and coordinators)
    DASHBOARD_VIEW = "dashboard:view"
    INBOX_VIEW = "inbox:view"
    # organizations and people
    ORGANIZATION_VIEW = "organization:view"
    ORGANIZATION_REVIEW = "organization:review"
    HOME_MUNICIPALITY = "home:municipality"
    HOME_COMPANY = "home:company"
    COORDINATION_VIEW = "coordination:view"
    USER_CREATE = "user:create"
    USER_DEACTIVATE = "user:deactivate"  # end someone's access (every session) or give it back
    ORGANIZATION_MANAGE = "organization:manage"  # its profile and its people (invite, deactivate)
    # the engine's vocabulary (synonym pairs on top of the built-in table)
    VOCABULARY_EDIT = "vocabulary:edit"
    # forum events (meet-ups, working groups)
    EVENT_VIEW = "event:view"
    EVENT_CREATE = "event:create"
    EVENT_EDIT = "event:edit"
    EVENT_REGISTER = "event:register"
    EVENT_REGISTRANTS = "event:registrants"  # see who registered
    EVENT_PROPOSE = "event:propose"  # propose on an issue presented at a past event
    # one's own tokens for the JSON API (which then allows only what the pages allow)
    API_TOKEN_MANAGE = "api_token:manage"


_EVERYONE = frozenset({
    Permission.CHALLENGE_VIEW, Permission.TECHNOLOGY_VIEW, Permission.ORGANIZATION_VIEW, Permission.PROJECT_VIEW,
    Permission.PROJECT_MOVE, Permission.DASHBOARD_VIEW, Permission.INBOX_VIEW, Permission.CONTACT_VIEW,
    Permission.MESSAGE_POST,
    Permission.EVENT_VIEW, Permission.EVENT_REGISTER,
    Permission.API_TOKEN_MANAGE,
})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MUNICIPAL_OFFICER: _EVERYONE | {
        Permission.CHALLENGE_CREATE, Permission.CHALLENGE_EDIT, Permission.CHALLENGE_CHANGE_STATUS,
        Permission.SHORTLIST_VIEW, Permission.SHORTLIST_EDIT, Permission.HOME_MUNICIPALITY,
        Permission.INVITATION_CREATE, Permission.QUESTION_ANSWER,
    },
    Role.COMPANY_MEMBER: _EVERYONE | {
        Permission.TECHNOLOGY_CREATE, Permission.TECHNOLOGY_EDIT, Permission.TECHNOLOGY_CHANGE_STATUS,
        Permission.PROJECT_PROPOSE,
        Permission.PROJECT_ROLLOUT, Permission.HOME_COMPANY, Permission.EVENT_PROPOSE, Permission.ORGANIZATION_MANAGE,
        Permission.INVITATION_RESPOND, Permission.QUESTION_ASK,
    },
    # Coordinators steer the catalogue: they enter issues and technologies for any municipality
    # or organisation (by hand or by importing a spreadsheet), as the secretariat does after a Meet-up.
    Role.COORDINATOR: _EVERYONE | {
        Permission.CHALLENGE_CREATE, Permission.CHALLENGE_EDIT, Permission.CHALLENGE_ASSIGN,
        Permission.TECHNOLOGY_CREATE, Permission.TECHNOLOGY_EDIT, Permission.TECHNOLOGY_ASSIGN,
        Permission.SHORTLIST_VIEW, Permission.ORGANIZATION_REVIEW, Permission.COORDINATION_VIEW,
        Permission.PROJECT_ROLLOUT, Permission.VOCABULARY_EDIT, Permission.QUESTION_ANSWER,
        Permission.EVENT_CREATE, Permission.EVENT_EDIT, Permission.EVENT_REGISTRANTS,
    },
    # Admins hold everything except the two home pages, which are about one's own municipality
    # or company (an admin has neither).
    Role.ADMIN: frozenset(Permission) - {Permission.HOME_MUNICIPALITY, Permission.HOME_COMPANY},
}
