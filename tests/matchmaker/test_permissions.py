"""Every role x every route x own and foreign objects: the status, and nothing changed on refusal."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from matchmaker import tokens
from models import Challenge, ChallengeStatus, Municipality, Organization, Technology, User

from .web import challenge_form, login, state_fingerprint, technology_form

ROLES = ("anonymous", "officer", "member", "coordinator", "admin")
login_redirect_status = 302


@pytest.fixture
def ids(demo_app) -> dict[str, int]:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    by_name = {m.name: m.id for m in session.scalars(select(Municipality))}
    orgs = {o.name: o.id for o in session.scalars(select(Organization))}

    def challenge(municipality: str, status: ChallengeStatus = ChallengeStatus.OPEN) -> int:
        return session.scalar(select(Challenge.id).where(Challenge.municipality_id == by_name[municipality],
                                                         Challenge.status == status).limit(1))

    def technology(org: str) -> int:
        return session.scalar(select(Technology.id).where(Technology.organization_id == orgs[org]).limit(1))

    # A pending application to review.
    pending = Organization(name="審査待ち株式会社", kind="company", member_category="corporate", membership_status="pending")
    session.add(pending)
    colleague = User(email="colleague@naniwa-mobility.example", password_hash="x", display_name="同僚",
                     role="company_member", organization_id=orgs["なにわモビリティ株式会社"])
    session.add(colleague)
    session.commit()
    result = {
        "own_challenge": challenge("河内長野市"), "foreign_challenge": challenge("豊中市"),
        "foreign_draft": challenge("四條畷市", ChallengeStatus.DRAFT),
        "own_technology": technology("なにわモビリティ株式会社"), "foreign_technology": technology("みまもりテック株式会社"),
        "pending_org": pending.id, "kawachinagano": by_name["河内長野市"],
        "unsubscribe_token": tokens.unsubscribe_token(demo_app, session.scalar(select(User.id).limit(1)), "move"),
        "own_org": orgs["なにわモビリティ株式会社"], "foreign_org": orgs["みまもりテック株式会社"],
        "own_org_version": session.get(Organization, orgs["なにわモビリティ株式会社"]).version,
        "colleague": colleague.id, "toyonaka_officer": session.scalar(
            select(User.id).where(User.email == "officer.toyonaka@demo.matchmaker.example")),
    }
    session.close()
    return result


def _routes(ids: dict[str, int]) -> list[tuple[str, str, str, dict | None, dict[str, int]]]:
    """(name, method, url, form, expected status per role)."""
    own_c, foreign_c, own_t, foreign_t = ids["own_challenge"], ids["foreign_challenge"], ids["own_technology"], ids["foreign_technology"]
    login_redirect = 302
    return [
        ("browse challenges", "GET", "/challenges", None,
         {"anonymous": login_redirect, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("view open challenge", "GET", f"/challenges/{foreign_c}", None,
         {"anonymous": login_redirect, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("view another municipality's draft", "GET", f"/challenges/{ids['foreign_draft']}", None,
         {"anonymous": login_redirect, "officer": 404, "member": 404, "coordinator": 200, "admin": 200}),
        ("new challenge form", "GET", "/challenges/new", None,
         {"anonymous": login_redirect, "officer": 200, "member": 403, "coordinator": 200, "admin": 200}),
        ("post challenge", "POST", "/challenges/new", challenge_form(municipality_id=str(ids["kawachinagano"])),
         {"anonymous": login_redirect, "officer": 302, "member": 403, "coordinator": 302, "admin": 302}),
        ("edit own challenge form", "GET", f"/challenges/{own_c}/edit", None,
         {"anonymous": login_redirect, "officer": 200, "member": 403, "coordinator": 200, "admin": 200}),
        ("edit foreign challenge form", "GET", f"/challenges/{foreign_c}/edit", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("save own challenge", "POST", f"/challenges/{own_c}/edit", challenge_form(version="1"),
         {"anonymous": login_redirect, "officer": 302, "member": 403, "coordinator": 302, "admin": 302}),
        ("save foreign challenge", "POST", f"/challenges/{foreign_c}/edit", challenge_form(version="1"),
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 302, "admin": 302}),
        ("close own challenge", "POST", f"/challenges/{own_c}/status", {"status": "closed", "version": "1"},
         {"anonymous": login_redirect, "officer": 302, "member": 403, "coordinator": 403, "admin": 302}),
        ("close foreign challenge", "POST", f"/challenges/{foreign_c}/status", {"status": "closed", "version": "1"},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        ("shortlist on own challenge", "POST", f"/challenges/{own_c}/shortlist", {"technology_id": str(own_t)},
         {"anonymous": login_redirect, "officer": 302, "member": 403, "coordinator": 403, "admin": 302}),
        ("shortlist on foreign challenge", "POST", f"/challenges/{foreign_c}/shortlist", {"technology_id": str(own_t)},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        ("browse technologies", "GET", "/technologies", None,
         {"anonymous": login_redirect, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("view technology", "GET", f"/technologies/{foreign_t}", None,
         {"anonymous": login_redirect, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("new technology form", "GET", "/technologies/new", None,
         {"anonymous": login_redirect, "officer": 403, "member": 200, "coordinator": 200, "admin": 200}),
        ("post technology", "POST", "/technologies/new", technology_form(organization_id=str(1)),
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 302, "admin": 302}),
        ("edit own technology form", "GET", f"/technologies/{own_t}/edit", None,
         {"anonymous": login_redirect, "officer": 403, "member": 200, "coordinator": 200, "admin": 200}),
        ("edit foreign technology form", "GET", f"/technologies/{foreign_t}/edit", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("save own technology", "POST", f"/technologies/{own_t}/edit", technology_form(version="1"),
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 302, "admin": 302}),
        ("save foreign technology", "POST", f"/technologies/{foreign_t}/edit", technology_form(version="1"),
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 302, "admin": 302}),
        # Coordinators edit a technology's content; retiring it is the company's own decision.
        ("retire own technology", "POST", f"/technologies/{own_t}/retire", {"version": "1", "retired": "1"},
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 403, "admin": 302}),
        ("retire foreign technology", "POST", f"/technologies/{foreign_t}/retire", {"version": "1", "retired": "1"},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        ("municipality home", "GET", "/municipality", None,
         {"anonymous": login_redirect, "officer": 200, "member": 403, "coordinator": 403, "admin": 403}),
        ("company home", "GET", "/company", None,
         {"anonymous": login_redirect, "officer": 403, "member": 200, "coordinator": 403, "admin": 403}),
        ("coordination", "GET", "/coordination", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("approve application", "POST", f"/coordination/applications/{ids['pending_org']}", {"decision": "approve"},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 302, "admin": 302}),
        ("user administration", "GET", "/admin/users", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 200}),
        ("create officer", "POST", "/admin/users",
         {"email": "new.officer@example.jp", "display_name": "新任", "role": "municipal_officer",
          "municipality_id": str(ids["kawachinagano"]), "password": "long-enough-pass"},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        ("organization profile", "GET", "/organizations/1", None,
         {"anonymous": login_redirect, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("pending organization profile", "GET", f"/organizations/{ids['pending_org']}", None,
         {"anonymous": login_redirect, "officer": 404, "member": 404, "coordinator": 200, "admin": 200}),
        # notifications, follows, freshness (issue 13)
        ("notification settings", "GET", "/account/notifications", None,
         {"anonymous": login_redirect, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("save notification settings", "POST", "/account/notifications",
         {"kind_move": "weekly", "municipality_ids": [str(ids["kawachinagano"])]},
         {"anonymous": login_redirect, "officer": 302, "member": 302, "coordinator": 302, "admin": 302}),
        ("follow a municipality", "POST", "/follows", {"municipality_id": str(ids["kawachinagano"]), "on": "1"},
         {"anonymous": login_redirect, "officer": 302, "member": 302, "coordinator": 302, "admin": 302}),
        ("unsubscribe page", "GET", f"/unsubscribe/{ids['unsubscribe_token']}", None,
         {"anonymous": 200, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("reconfirm own challenge", "POST", f"/challenges/{own_c}/reconfirm", {},
         {"anonymous": login_redirect, "officer": 302, "member": 403, "coordinator": 403, "admin": 302}),
        ("reconfirm foreign challenge", "POST", f"/challenges/{foreign_c}/reconfirm", {},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        ("own technology not offered", "POST", f"/technologies/{own_t}/offered", {"offered": "0", "version": "1"},
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 403, "admin": 302}),
        # password reset, deactivation, a company's own people (issue 13)
        ("forgot password form", "GET", "/password/forgot", None,
         {"anonymous": 200, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("ask for a reset link", "POST", "/password/forgot", {"email": "someone@example.jp"},
         {"anonymous": 200, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("reset with a bad link", "GET", "/password/reset/not-a-token", None,
         {"anonymous": 400, "officer": 400, "member": 400, "coordinator": 400, "admin": 400}),
        ("set a password with a bad link", "POST", "/password/reset/not-a-token",
         {"new_password": "long-enough-pass", "confirm_password": "long-enough-pass"},
         {"anonymous": 400, "officer": 400, "member": 400, "coordinator": 400, "admin": 400}),
        ("unsubscribe by link", "POST", f"/unsubscribe/{ids['unsubscribe_token']}", {},
         {"anonymous": 200, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("unsubscribe by an altered link", "POST", f"/unsubscribe/{ids['unsubscribe_token']}x", {},
         {"anonymous": 404, "officer": 404, "member": 404, "coordinator": 404, "admin": 404}),
        ("deactivate a user", "POST", f"/admin/users/{ids['toyonaka_officer']}/active", {"active": "0"},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        ("manage own organization", "GET", f"/organizations/{ids['own_org']}/manage", None,
         {"anonymous": login_redirect, "officer": 403, "member": 200, "coordinator": 403, "admin": 200}),
        ("manage foreign organization", "GET", f"/organizations/{ids['foreign_org']}/manage", None,
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 200}),
        ("save own organization profile", "POST", f"/organizations/{ids['own_org']}/profile",
         {"website": "https://naniwa.example.jp", "description": "", "contact_email": "info@naniwa.example.jp",
          "contact_phone": "", "version": str(ids["own_org_version"])},
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 403, "admin": 302}),
        ("invite to own organization", "POST", f"/organizations/{ids['own_org']}/invite",
         {"email": "invited@naniwa-mobility.example", "display_name": "招待"},
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 403, "admin": 302}),
        ("invite to foreign organization", "POST", f"/organizations/{ids['foreign_org']}/invite",
         {"email": "invited@mimamori-tech.example", "display_name": "招待"},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        ("deactivate a colleague", "POST", f"/organizations/{ids['own_org']}/members/{ids['colleague']}/active",
         {"active": "0"},
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 403, "admin": 302}),
        ("foreign technology not offered", "POST", f"/technologies/{foreign_t}/offered", {"offered": "0", "version": "1"},
         {"anonymous": login_redirect, "officer": 403, "member": 403, "coordinator": 403, "admin": 302}),
        # Data in and out (views/data.py, views/opendata.py). Uploads only stage a file: the
        # commit is a second step (tests/matchmaker/test_data_web.py).
        ("data page", "GET", "/data", None, _all(200)),
        ("export issues as CSV", "GET", "/exports/challenges.csv", None, _all(200)),
        ("export technologies as xlsx", "GET", "/exports/technologies.xlsx", None, _all(200)),
        ("export projects as xlsx", "GET", "/exports/projects.xlsx", None, _all(200)),
        ("export project history as CSV", "GET", "/exports/project_history.csv", None, _all(200)),
        ("export questions and answers as xlsx", "GET", "/exports/questions.xlsx", None, _all(200)),
        ("export an unknown list", "GET", "/exports/users.csv", None, _all(404)),
        ("ranking of an open issue as CSV", "GET", f"/challenges/{foreign_c}/ranking.csv", None, _all(200)),
        ("ranking of another municipality's draft", "GET", f"/challenges/{ids['foreign_draft']}/ranking.xlsx", None,
         {"anonymous": login_redirect, "officer": 404, "member": 404, "coordinator": 200, "admin": 200}),
        ("ranking of a technology as xlsx", "GET", f"/technologies/{foreign_t}/ranking.xlsx", None, _all(200)),
        ("dashboard table as xlsx", "GET", "/dashboard/stages.xlsx", None, _all(200)),
        ("dashboard list as xlsx", "GET", "/dashboard/issues.xlsx", None, _all(200)),
        ("issue import form", "GET", "/imports/challenges", None,
         {"anonymous": login_redirect, "officer": 200, "member": 403, "coordinator": 200, "admin": 200}),
        ("issue import template", "GET", "/imports/challenges/template.xlsx", None,
         {"anonymous": login_redirect, "officer": 200, "member": 403, "coordinator": 200, "admin": 200}),
        ("upload issues", "POST", "/imports/challenges", {"file": (io.BytesIO(ISSUE_FILE), "issues.csv")},
         {"anonymous": login_redirect, "officer": 302, "member": 403, "coordinator": 302, "admin": 302}),
        ("technology import form", "GET", "/imports/technologies", None,
         {"anonymous": login_redirect, "officer": 403, "member": 200, "coordinator": 200, "admin": 200}),
        ("technology import template", "GET", "/imports/technologies/template.csv", None,
         {"anonymous": login_redirect, "officer": 403, "member": 200, "coordinator": 200, "admin": 200}),
        ("upload technologies", "POST", "/imports/technologies", {"file": (io.BytesIO(ISSUE_FILE), "t.csv")},
         {"anonymous": login_redirect, "officer": 403, "member": 302, "coordinator": 302, "admin": 302}),
        ("someone's staged import", "GET", "/imports/999999", None, _all(404)),
        ("commit someone's staged import", "POST", "/imports/999999/commit", {"sha256": "0" * 64}, _all(404)),
        ("open data page", "GET", "/open-data", None, _all(200, anonymous=200)),
        ("open data as CSV", "GET", "/open-data/issues.csv", None, _all(200, anonymous=200)),
        ("open data as JSON", "GET", "/open-data/projects_by_field.json", None, _all(200, anonymous=200)),
    ]


ISSUE_FILE = "外部キー,タイトル,説明,分野\r\nP-1,題,説明,移動\r\n".encode()


def _all(status: int, anonymous: int = 302) -> dict[str, int]:
    return {"anonymous": anonymous, "officer": status, "member": status, "coordinator": status, "admin": status}


ROUTE_NAMES = [route[0] for route in _routes({k: 1 for k in (
    "own_challenge", "foreign_challenge", "foreign_draft", "own_technology", "foreign_technology", "pending_org",
    "kawachinagano", "unsubscribe_token", "own_org", "foreign_org", "own_org_version", "colleague",
    "toyonaka_officer")})]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route_name", ROUTE_NAMES)
def test_permission_table(demo_app, ids, role: str, route_name: str) -> None:
    _name, method, url, form, expected = next(r for r in _routes(ids) if r[0] == route_name)
    client = demo_app.test_client()
    if role != "anonymous":
        login(client, role)
    before = state_fingerprint(demo_app)

    response = client.get(url) if method == "GET" else client.post(url, data=form)

    assert response.status_code == expected[role], f"{role} {method} {url}: {response.text[:300]}"
    if response.status_code >= 400 or method == "GET":
        after = state_fingerprint(demo_app)
        # A refused request changes nothing (logins write nothing either once signed in).
        assert after == before
    if role == "anonymous" and expected[role] == login_redirect_status:
        assert "/login" in response.headers["Location"]
