"""Every API route x every role with a write token: the status, the same outcome as the page that
does the same thing (fetched too, signed in with the cookie), and nothing changed on refusal.

Read-only tokens are refused every write (403 insufficient_scope) and get the same answers on reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from models import Challenge, ChallengeStatus, Municipality, Organization, Stage, Technology
from tests import factories

from ..web import challenge_form, login, state_fingerprint, technology_form
from .helpers import bearer, page_ids, token_for

ROLES = ("anonymous", "officer", "member", "coordinator", "admin")
OK, SIGN_IN, FORBIDDEN, HIDDEN = "ok", "sign in", "forbidden", "hidden"


@pytest.fixture
def ids(demo_app) -> dict[str, int]:
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    by_name = {m.name: m for m in session.scalars(select(Municipality))}
    orgs = {o.name: o for o in session.scalars(select(Organization))}

    def challenge(municipality: str, status: ChallengeStatus = ChallengeStatus.OPEN) -> Challenge:
        return session.scalars(select(Challenge).where(Challenge.municipality_id == by_name[municipality].id,
                                                       Challenge.status == status)).first()

    def technology(org: str) -> Technology:
        return session.scalars(select(Technology).where(Technology.organization_id == orgs[org].id,
                                                        Technology.is_retired.is_(False))).first()

    pending = Organization(name="審査待ち株式会社", kind="company", member_category="corporate",
                           membership_status="pending")
    session.add(pending)
    session.flush()
    own_c, foreign_c = challenge("河内長野市"), challenge("豊中市")
    own_t, foreign_t = technology("なにわモビリティ株式会社"), technology("みまもりテック株式会社")
    retired = factories.make_technology(session, orgs["みまもりテック株式会社"], title="掲載終了した見守り機器",
                                        field_keys=("elderly",), is_retired=True)
    unlisted = factories.make_technology(session, pending, title="審査中の会社の技術", field_keys=("elderly",))
    # A project of 河内長野市 and なにわ (the officer and member take part) and one of 豊中市 and
    # みまもり about elderly care (only the coordinator of that field and admins see it).
    ours = factories.make_project(session, own_c, own_t, title="私たちのプロジェクト")
    theirs = factories.make_project(session, foreign_c, foreign_t, stage=Stage.PILOT_REQUESTED,
                                    title="よそのプロジェクト")
    theirs.challenges[0].fields = [factories.field(session, "elderly")]
    session.commit()
    result = {
        "own_challenge": own_c.id, "own_challenge_v": own_c.version, "foreign_challenge": foreign_c.id,
        "foreign_challenge_v": foreign_c.version, "foreign_draft": challenge("四條畷市", ChallengeStatus.DRAFT).id,
        "own_technology": own_t.id, "own_technology_v": own_t.version, "foreign_technology": foreign_t.id,
        "foreign_technology_v": foreign_t.version, "retired_technology": retired.id, "unlisted_technology": unlisted.id,
        "our_project": ours.id, "their_project": theirs.id, "kawachinagano": by_name["河内長野市"].id,
        "naniwa": orgs["なにわモビリティ株式会社"].id,
    }
    session.close()
    return result


def _version(app, model: type, object_id: int) -> str:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return str(session.get(model, object_id).version)
    finally:
        session.close()


API_CHALLENGE = {"title": "駅前の放置自転車", "description": "駅前に放置自転車が多く、歩行者の通行を妨げています。",
                 "field_keys": ["mobility"], "budget_range": "under_1m", "desired_start": "2027-04-01"}
API_TECHNOLOGY = {"title": "放置自転車の自動検知", "description": "カメラ映像から放置自転車を検知し、撤去の計画を支援します。",
                  "field_keys": ["mobility", "safety"], "maturity": "piloted", "price_band": "under_1m"}

Form = Callable[[Any], dict] | None


def _routes(i: dict[str, int]) -> list[tuple[str, str, str, dict | None, str, str, Form, dict[str, int]]]:
    """(name, API method, API path, JSON body, page method, page path, page form, API status per role)."""
    c_own, c_foreign, c_draft = i["own_challenge"], i["foreign_challenge"], i["foreign_draft"]
    t_own, t_foreign = i["own_technology"], i["foreign_technology"]
    everyone = {"anonymous": 401, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}
    stewards_only = {"anonymous": 401, "officer": 404, "member": 404, "coordinator": 200, "admin": 200}

    def challenge_edit(challenge_id: int) -> Form:
        return lambda app: challenge_form(version=_version(app, Challenge, challenge_id))

    def technology_edit(technology_id: int) -> Form:
        return lambda app: technology_form(version=_version(app, Technology, technology_id))

    return [
        ("list challenges", "GET", "/challenges", None, "GET", "/challenges", None, everyone),
        ("get open challenge", "GET", f"/challenges/{c_foreign}", None, "GET", f"/challenges/{c_foreign}", None,
         everyone),
        ("get another municipality's draft", "GET", f"/challenges/{c_draft}", None, "GET", f"/challenges/{c_draft}",
         None, stewards_only),
        ("rankings of a challenge", "GET", f"/challenges/{c_foreign}/rankings", None, "GET",
         f"/challenges/{c_foreign}", None, everyone),
        ("rankings of a draft", "GET", f"/challenges/{c_draft}/rankings", None, "GET", f"/challenges/{c_draft}",
         None, stewards_only),
        ("post challenge", "POST", "/challenges", {**API_CHALLENGE, "municipality_id": i["kawachinagano"]},
         "POST", "/challenges/new", lambda _app: challenge_form(municipality_id=str(i["kawachinagano"])),
         {"anonymous": 401, "officer": 201, "member": 403, "coordinator": 201, "admin": 201}),
        ("update own challenge", "PATCH", f"/challenges/{c_own}", {"title": "坂道の多い団地の移動手段"},
         "POST", f"/challenges/{c_own}/edit", challenge_edit(c_own),
         {"anonymous": 401, "officer": 200, "member": 403, "coordinator": 200, "admin": 200}),
        ("update foreign challenge", "PATCH", f"/challenges/{c_foreign}", {"title": "坂道の多い団地の移動手段"},
         "POST", f"/challenges/{c_foreign}/edit", challenge_edit(c_foreign),
         {"anonymous": 401, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("update another municipality's draft", "PATCH", f"/challenges/{c_draft}", {"title": "下書きの課題"},
         "POST", f"/challenges/{c_draft}/edit", challenge_edit(c_draft),
         {"anonymous": 401, "officer": 404, "member": 404, "coordinator": 200, "admin": 200}),
        ("list technologies", "GET", "/technologies", None, "GET", "/technologies", None, everyone),
        ("get technology", "GET", f"/technologies/{t_foreign}", None, "GET", f"/technologies/{t_foreign}", None,
         everyone),
        ("get another company's retired technology", "GET", f"/technologies/{i['retired_technology']}", None,
         "GET", f"/technologies/{i['retired_technology']}", None, stewards_only),
        ("get a pending company's technology", "GET", f"/technologies/{i['unlisted_technology']}", None,
         "GET", f"/technologies/{i['unlisted_technology']}", None, stewards_only),
        ("rankings of a technology", "GET", f"/technologies/{t_foreign}/rankings", None, "GET",
         f"/technologies/{t_foreign}", None, everyone),
        ("post technology", "POST", "/technologies", {**API_TECHNOLOGY, "organization_id": i["naniwa"]},
         "POST", "/technologies/new", lambda _app: technology_form(organization_id=str(i["naniwa"])),
         {"anonymous": 401, "officer": 403, "member": 201, "coordinator": 201, "admin": 201}),
        ("update own technology", "PATCH", f"/technologies/{t_own}", {"maturity": "in_service"},
         "POST", f"/technologies/{t_own}/edit", technology_edit(t_own),
         {"anonymous": 401, "officer": 403, "member": 200, "coordinator": 200, "admin": 200}),
        ("update foreign technology", "PATCH", f"/technologies/{t_foreign}", {"maturity": "in_service"},
         "POST", f"/technologies/{t_foreign}/edit", technology_edit(t_foreign),
         {"anonymous": 401, "officer": 403, "member": 403, "coordinator": 200, "admin": 200}),
        ("list projects", "GET", "/projects", None, "GET", "/projects", None, everyone),
        ("get our project", "GET", f"/projects/{i['our_project']}", None, "GET", f"/projects/{i['our_project']}",
         None, {"anonymous": 401, "officer": 200, "member": 200, "coordinator": 200, "admin": 200}),
        ("get their project", "GET", f"/projects/{i['their_project']}", None, "GET",
         f"/projects/{i['their_project']}", None,
         {"anonymous": 401, "officer": 404, "member": 404, "coordinator": 200, "admin": 200}),
    ]


ROUTE_NAMES = [route[0] for route in _routes(dict.fromkeys((
    "own_challenge", "foreign_challenge", "foreign_draft", "own_technology", "foreign_technology",
    "retired_technology", "unlisted_technology", "our_project", "their_project", "kawachinagano", "naniwa"), 1))]


def _api_outcome(status: int) -> str:
    return {200: OK, 201: OK, 401: SIGN_IN, 403: FORBIDDEN, 404: HIDDEN}.get(status, str(status))


def _page_outcome(response) -> str:
    if response.status_code == 302:
        return SIGN_IN if "/login" in response.headers["Location"] else OK
    return {200: OK, 403: FORBIDDEN, 404: HIDDEN}.get(response.status_code, str(response.status_code))


def _call_api(app, role: str, method: str, path: str, body: dict | None, scope: str = "write"):
    headers = {} if role == "anonymous" else bearer(token_for(app, role, scope))
    if method == "PATCH":
        etag = app.test_client().get(f"/api/v1{path}", headers=bearer(token_for(app, "admin"))).headers["ETag"]
        headers["If-Match"] = etag
    return app.test_client().open(f"/api/v1{path}", method=method, json=body, headers=headers)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route_name", ROUTE_NAMES)
def test_api_permission_table_matches_the_pages(demo_app, ids, role: str, route_name: str) -> None:
    _name, method, path, body, page_method, page_path, page_form, expected = next(
        r for r in _routes(ids) if r[0] == route_name)
    before = state_fingerprint(demo_app)

    response = _call_api(demo_app, role, method, path, body)

    assert response.status_code == expected[role], f"{role} {method} {path}: {response.text[:300]}"
    if response.status_code >= 400:
        assert set(response.json) == {"error"} and response.json["error"]["code"]
        # Nothing changed but the token made for the call (one audit row each).
        tokens_made = (role != "anonymous") + (method == "PATCH")
        after = state_fingerprint(demo_app)
        assert (after[0] - before[0], *after[1:]) == (tokens_made, *before[1:])
    client = demo_app.test_client()
    if role != "anonymous":
        login(client, role)
    form = page_form(demo_app) if page_form is not None else None
    page = client.get(page_path) if page_method == "GET" else client.post(page_path, data=form)
    assert _api_outcome(response.status_code) == _page_outcome(page), (
        f"{role}: API {method} {path} → {response.status_code}, page {page_method} {page_path} → {page.status_code}")


WRITES = [name for name, method, *_ in _routes(dict.fromkeys((
    "own_challenge", "foreign_challenge", "foreign_draft", "own_technology", "foreign_technology",
    "retired_technology", "unlisted_technology", "our_project", "their_project", "kawachinagano", "naniwa"), 1))
    if method != "GET"]


@pytest.mark.parametrize("role", ROLES[1:])
@pytest.mark.parametrize("route_name", WRITES)
def test_read_only_tokens_cannot_write(demo_app, ids, role: str, route_name: str) -> None:
    _name, method, path, body, *_ = next(r for r in _routes(ids) if r[0] == route_name)
    before = state_fingerprint(demo_app)

    response = _call_api(demo_app, role, method, path, body, scope="read")

    assert response.status_code == 403
    assert response.json["error"]["code"] == "insufficient_scope"
    after = state_fingerprint(demo_app)
    assert after[1:] == before[1:]


def _all_ids(client, path: str, headers: dict[str, str], **args: str) -> list[int]:
    found, cursor = [], None
    while True:
        response = client.get(path, query_string={**args, "limit": 7, **({"cursor": cursor} if cursor else {})},
                              headers=headers)
        assert response.status_code == 200, response.text
        found += [item["id"] for item in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            return found


@pytest.mark.parametrize("role", ["officer", "officer_toyonaka", "member", "member_mimamori", "coordinator",
                                  "coordinator2", "admin"])
def test_lists_show_what_the_pages_show(demo_app, ids, role: str) -> None:
    headers = bearer(token_for(demo_app, role, "read"))
    api = demo_app.test_client()
    page = login(demo_app.test_client(), role)

    projects = _all_ids(api, "/api/v1/projects", headers)
    challenges = _all_ids(api, "/api/v1/challenges", headers, status="all")

    assert len(projects) == len(set(projects)) and projects == sorted(projects, reverse=True)
    assert set(projects) == page_ids(page, "/projects", r'href="/projects/(\d+)"')
    assert len(challenges) == len(set(challenges))
    assert set(challenges) == page_ids(page, "/challenges", r'href="/challenges/(\d+)"', status="all")
