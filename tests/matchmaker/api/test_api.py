"""The JSON API's contract: tokens, locking, validation as on the pages, paging, errors, rate limits."""

from __future__ import annotations

import hashlib

import pytest
import schemathesis
from sqlalchemy import func, select

from matchmaker import create_app
from models import ApiToken, AuditEvent, Challenge, Municipality, Technology
from tests.conftest import app_config, dispose

from ..web import login, state_fingerprint
from .helpers import bearer, page_ids, token_for

NEW_CHALLENGE = {"title": "駅前の放置自転車", "description": "駅前に放置自転車が多く、歩行者の通行を妨げています。",
                 "field_keys": ["mobility"]}


def _first_own_challenge(app) -> Challenge:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return session.scalar(select(Challenge).where(Challenge.title.like("ニュータウンの坂道%")))
    finally:
        session.close()


# -- tokens --------------------------------------------------------------------------------------
def test_only_a_hash_of_the_secret_is_stored(demo_app) -> None:
    secret = token_for(demo_app, "officer")

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    token = session.scalar(select(ApiToken))
    session.close()

    assert secret.startswith("mm_") and len(secret) > 40
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.token_hash, token.prefix) and secret.startswith(token.prefix)


def test_settings_page_shows_a_new_token_once_and_lists_it_with_last_use(demo_app) -> None:
    client = login(demo_app.test_client(), "member")

    created = client.post("/settings/tokens", data={"name": "在庫システム連携", "scope": "read"})
    secret = created.text.split('data-testid="token-secret">', 1)[1].split("<", 1)[0]
    listed = client.get("/settings/tokens")

    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    assert secret.startswith("mm_")
    assert "在庫システム連携" in listed.text and secret not in listed.text and secret[:10] in listed.text
    assert "未使用" in listed.text
    assert demo_app.test_client().get("/api/v1/challenges", headers=bearer(secret)).status_code == 200
    assert "未使用" not in client.get("/settings/tokens").text


def test_revoked_token_is_refused(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    secret = token_for(demo_app, "officer")
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    token_id = session.scalar(select(ApiToken.id))
    session.close()

    revoked = client.post(f"/settings/tokens/{token_id}/revoke")
    answer = demo_app.test_client().get("/api/v1/challenges", headers=bearer(secret))

    assert revoked.status_code == 302
    assert answer.status_code == 401 and answer.json["error"]["code"] == "invalid_token"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_nobody_revokes_someone_elses_token(demo_app) -> None:
    token_for(demo_app, "officer")
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    token_id = session.scalar(select(ApiToken.id))
    session.close()

    answer = login(demo_app.test_client(), "admin").post(f"/settings/tokens/{token_id}/revoke")

    assert answer.status_code == 404


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer mm_unknown",
                                    "Bearer " + "a" * 5000, "Bearer mm_\u00e9t\u00e9"])
def test_missing_or_bad_tokens_get_401_in_the_error_format(demo_app, header) -> None:
    headers = {} if header is None else {"Authorization": header}

    answer = demo_app.test_client().get("/api/v1/challenges", headers=headers)

    assert answer.status_code == 401
    assert answer.json["error"]["code"] in ("unauthorized", "invalid_token")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_deactivated_persons_tokens_stop_working(demo_app) -> None:
    from models import User

    secret = token_for(demo_app, "member")
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    session.scalar(select(User).where(User.email == "member@naniwa-mobility.example")).is_active = False
    session.commit()
    session.close()

    answer = demo_app.test_client().get("/api/v1/technologies", headers=bearer(secret))

    assert answer.status_code == 401 and answer.json["error"]["code"] == "invalid_token"


def test_signed_in_cookie_does_not_open_the_api(demo_app) -> None:
    """Tokens only: a page's session cookie (and so a forged cross-site request) is not enough."""
    client = login(demo_app.test_client(), "officer")
    before = state_fingerprint(demo_app)

    read = client.get("/api/v1/challenges")
    write = client.post("/api/v1/challenges", json=NEW_CHALLENGE)

    assert read.status_code == 401 and write.status_code == 401
    assert state_fingerprint(demo_app) == before


def test_pages_still_require_csrf_and_the_api_does_not(demo_app, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "csrf"))
    app = create_app(app_config(demo_app.config["DATABASE_URL"], WTF_CSRF_ENABLED=True))
    try:
        secret = token_for(app, "officer")
        page = app.test_client().post("/settings/tokens", data={"name": "x", "scope": "read"})
        api = app.test_client().post("/api/v1/challenges", json=NEW_CHALLENGE, headers=bearer(secret))
        nowhere = app.test_client().post("/api/v1/nowhere", json={}, headers=bearer(secret))
    finally:
        dispose(app)

    assert page.status_code == 400
    assert api.status_code == 201
    assert nowhere.status_code in (400, 404) and set(nowhere.get_json()["error"]) == {"code", "message"}


def test_last_use_moves_at_most_once_a_minute(demo_app, monkeypatch) -> None:
    from matchmaker.api import auth

    secret = token_for(demo_app, "officer")
    client = demo_app.test_client()
    clock = [1_800_000_000.0]
    monkeypatch.setattr(auth, "clock", lambda: clock[0])

    def last_used():
        session = demo_app.extensions["sqlalchemy_sessionmaker"]()
        try:
            return session.scalar(select(ApiToken.last_used_at))
        finally:
            session.close()

    client.get("/api/v1/projects", headers=bearer(secret))
    first = last_used()
    clock[0] += 20
    client.get("/api/v1/projects", headers=bearer(secret))
    same_minute = last_used()
    clock[0] += 60
    client.get("/api/v1/projects", headers=bearer(secret))

    assert first is not None and same_minute == first
    assert last_used() > first


# -- rate limits ---------------------------------------------------------------------------------
def test_rate_limit_is_shared_by_worker_processes(demo_app, tmp_path, monkeypatch) -> None:
    """Two app instances (as two gunicorn workers) on one database count one token together."""
    from matchmaker.api import auth

    monkeypatch.setattr(auth, "clock", lambda: 1_800_000_010.0)
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "second"))
    demo_app.config["API_RATE_LIMIT_PER_MINUTE"] = 4
    second = create_app(app_config(demo_app.config["DATABASE_URL"], API_RATE_LIMIT_PER_MINUTE=4))
    try:
        secret = token_for(demo_app, "member", "read")
        statuses = [app.test_client().get("/api/v1/technologies", headers=bearer(secret)).status_code
                    for app in (demo_app, second, demo_app, second)]
        refused = second.test_client().get("/api/v1/technologies", headers=bearer(secret))
        other = demo_app.test_client().get("/api/v1/technologies", headers=bearer(token_for(demo_app, "member")))
    finally:
        dispose(second)

    assert statuses == [200, 200, 200, 200]
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "rate_limited"
    assert refused.headers["Retry-After"] == "50"
    assert other.status_code == 200  # per token


# -- reading ---------------------------------------------------------------------------------------
def test_get_gives_an_etag_of_the_version(demo_app) -> None:
    challenge = _first_own_challenge(demo_app)

    answer = demo_app.test_client().get(f"/api/v1/challenges/{challenge.id}",
                                        headers=bearer(token_for(demo_app, "member", "read")))

    assert answer.status_code == 200
    assert answer.headers["ETag"] == f'"challenge-{challenge.id}-v{challenge.version}"'
    assert answer.json["version"] == challenge.version and answer.json["title"] == challenge.title
    assert answer.headers["Cache-Control"] == "no-store"


def test_cursor_pages_neither_skip_nor_repeat(demo_app) -> None:
    headers = bearer(token_for(demo_app, "admin", "read"))
    client = demo_app.test_client()
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    expected = list(session.scalars(select(Technology.id).where(Technology.is_retired.is_(False))
                                    .order_by(Technology.id.desc())))
    session.close()

    seen, cursor, pages = [], None, 0
    while True:
        answer = client.get("/api/v1/technologies", query_string={"limit": 5, **({"cursor": cursor} if cursor else {})},
                            headers=headers).json
        seen += [t["id"] for t in answer["items"]]
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break

    assert seen == expected
    assert pages == -(-len(expected) // 5)


def test_filters_are_the_pages_filters(demo_app) -> None:
    headers = bearer(token_for(demo_app, "officer", "read"))
    client = demo_app.test_client()

    mobility = client.get("/api/v1/challenges?field=mobility&limit=100", headers=headers).json["items"]
    in_region = client.get("/api/v1/challenges?region=南河内&limit=100", headers=headers).json["items"]
    searched = client.get("/api/v1/challenges?q=坂道&limit=100", headers=headers).json["items"]

    assert mobility and all("mobility" in c["fields"] for c in mobility)
    assert all(c["status"] == "open" for c in mobility)
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    southern = set(session.scalars(select(Municipality.id).where(Municipality.region == "南河内")))
    session.close()
    assert in_region and all(c["municipality"]["id"] in southern for c in in_region)
    page = login(demo_app.test_client(), "officer")
    assert searched and {c["id"] for c in searched} == page_ids(page, "/challenges", r'href="/challenges/(\d+)"', q="坂道")


def test_rankings_carry_reasons_and_strength_as_the_page(demo_app) -> None:
    challenge = _first_own_challenge(demo_app)

    answer = demo_app.test_client().get(f"/api/v1/challenges/{challenge.id}/rankings",
                                        headers=bearer(token_for(demo_app, "officer", "read"))).json
    page = login(demo_app.test_client(), "officer").get(f"/challenges/{challenge.id}").text

    assert answer["ready"] and answer["items"], "the demo issue has matches"
    scores = [item["score"] for item in answer["items"]]
    assert scores == sorted(scores, reverse=True)
    assert answer["items"][0]["strength"] == "strong"
    assert {r["kind"] for r in answer["items"][0]["reasons"]} & {"term", "wording"}
    assert answer["items"][0]["technology"]["title"] in page


def test_project_carries_its_stage_history(demo_app) -> None:
    headers = bearer(token_for(demo_app, "admin", "read"))
    client = demo_app.test_client()
    projects = client.get("/api/v1/projects?stage=implemented", headers=headers).json["items"]

    project = client.get(f"/api/v1/projects/{projects[0]['id']}", headers=headers).json

    assert project["stage"] == "implemented"
    assert project["history"][0]["from_stage"] is None and project["history"][-1]["to_stage"] == "implemented"
    assert [c["at"] for c in project["history"]] == sorted(c["at"] for c in project["history"])


# -- writing ---------------------------------------------------------------------------------------
def test_create_records_history_like_the_page(demo_app) -> None:
    answer = demo_app.test_client().post("/api/v1/challenges", json=NEW_CHALLENGE,
                                         headers=bearer(token_for(demo_app, "officer")))

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    event = session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "challenge")
                           .order_by(AuditEvent.id.desc()))
    session.close()
    assert answer.status_code == 201
    assert answer.headers["Location"] == f"/api/v1/challenges/{answer.json['id']}"
    assert answer.json["municipality"]["name"] == "河内長野市"  # officers post for their own
    assert event.action == "challenge:create" and event.entity_id == answer.json["id"]


def test_update_needs_if_match_and_refuses_a_stale_one(demo_app) -> None:
    challenge = _first_own_challenge(demo_app)
    url = f"/api/v1/challenges/{challenge.id}"
    headers = bearer(token_for(demo_app, "officer"))
    client = demo_app.test_client()
    etag = client.get(url, headers=headers).headers["ETag"]

    missing = client.patch(url, json={"title": "坂道の移動"}, headers=headers)
    saved = client.patch(url, json={"title": "坂道の移動"}, headers={**headers, "If-Match": etag})
    stale = client.patch(url, json={"title": "上書き"}, headers={**headers, "If-Match": etag})
    garbage = client.patch(url, json={"title": "上書き"}, headers={**headers, "If-Match": '"nonsense"'})

    assert missing.status_code == 428 and missing.json["error"]["code"] == "precondition_required"
    assert saved.status_code == 200 and saved.json["title"] == "坂道の移動"
    assert saved.json["version"] == challenge.version + 1 and saved.headers["ETag"] != etag
    assert saved.json["description"] == challenge.description  # members left out are kept
    assert stale.status_code == 412 and stale.json["error"]["code"] == "precondition_failed"
    assert garbage.status_code == 412
    assert client.get(url, headers=headers).json["title"] == "坂道の移動"


def test_validation_is_the_pages_validation(demo_app) -> None:
    headers = bearer(token_for(demo_app, "officer"))
    before = state_fingerprint(demo_app)

    answer = demo_app.test_client().post("/api/v1/challenges", json={
        **NEW_CHALLENGE, "title": "あ" * 121, "field_keys": ["no_such_field"]}, headers=headers)
    english = demo_app.test_client().post("/api/v1/challenges", json={**NEW_CHALLENGE, "field_keys": []},
                                          headers={**headers, "Accept-Language": "en"})

    assert answer.status_code == 400 and answer.json["error"]["code"] == "validation_error"
    assert answer.json["error"]["fields"]["title"] == ["120文字以内で入力してください（現在121文字）。"]
    assert answer.json["error"]["fields"]["field_keys"] == ["不明な分野が含まれています。"]
    assert english.json["error"]["fields"]["field_keys"] == ["Choose at least one field."]
    assert english.json["error"]["message"] == "Some of the input is not valid."
    assert state_fingerprint(demo_app)[1:] == before[1:]


# -- hostile input ---------------------------------------------------------------------------------
HOSTILE = [
    ("GET", f"/api/v1/challenges/{2**31}", None, None, 404),
    ("GET", f"/api/v1/challenges/{2**63}", None, None, 404),
    ("GET", "/api/v1/challenges/" + "9" * 40, None, None, 404),
    ("GET", "/api/v1/challenges/²", None, None, 404),
    ("GET", "/api/v1/technologies/٣/rankings", None, None, 404),
    ("GET", "/api/v1/projects/-1", None, None, 404),
    ("GET", "/api/v1/challenges?municipality=²", None, None, 400),
    ("GET", f"/api/v1/challenges?municipality={2**31}", None, None, 400),
    ("GET", "/api/v1/challenges?q=%00", None, None, 400),
    ("GET", "/api/v1/challenges?status=everything", None, None, 400),
    ("GET", "/api/v1/challenges?limit=0", None, None, 400),
    ("GET", "/api/v1/challenges?limit=1000000", None, None, 400),
    ("GET", "/api/v1/challenges?cursor=not-a-cursor", None, None, 400),
    ("GET", "/api/v1/challenges?cursor=eyJhZnRlciI6IDk5OTk5OTk5OTk5OX0", None, None, 400),  # after: 999999999999
    ("GET", "/api/v1/challenges?cursor=e30", None, None, 400),  # {}: no "after"
    ("GET", "/api/v1/technologies?cursor=eyJ4IjogMX0", None, None, 400),  # {"x": 1}
    ("GET", "/api/v1/challenges?limit=1&limit=2", None, None, 400),
    ("GET", "/api/v1/challenges?unknown=1", None, None, 400),
    ("GET", "/api/v1/nowhere", None, None, 404),
    ("DELETE", "/api/v1/challenges", None, None, 405),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "title": "駅\x00前"}, None, 400),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "field_keys": ["mobility\x00"]}, None, 400),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "title": 12}, None, 400),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "field_keys": "mobility"}, None, 400),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "municipality_id": 2**31}, None, 400),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "municipality_id": "17"}, None, 400),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "desired_start": "2027-02-30"}, None, 400),
    ("POST", "/api/v1/challenges", {**NEW_CHALLENGE, "extra": True}, None, 400),
    ("POST", "/api/v1/challenges", [1, 2, 3], None, 400),
    ("POST", "/api/v1/challenges", None, b"{\"title\": ", 400),
    ("POST", "/api/v1/challenges", None, b"\xff\xfe\x00garbage", 400),
    ("POST", "/api/v1/challenges", None, b"[" * 100_000 + b"]" * 100_000, 400),
    ("POST", "/api/v1/challenges", None, b"{}" + b" " * (2 * 1024 * 1024), 413),
    ("POST", "/api/v1/technologies", {"title": "x", "description": "y", "field_keys": ["data"],
                                      "deployed_municipality_ids": [2**40]}, None, 400),
]


@pytest.mark.parametrize(("method", "path", "body", "raw", "expected"), HOSTILE,
                         ids=[f"{m} {p[:50]} {str(b or r)[:40]}" for m, p, b, r, _ in HOSTILE])
def test_hostile_input_gets_a_4xx_in_the_error_format(demo_app, method, path, body, raw, expected) -> None:
    headers = {**bearer(token_for(demo_app, "admin")), "Content-Type": "application/json"}
    before = state_fingerprint(demo_app)

    if raw is not None:
        answer = demo_app.test_client().open(path, method=method, data=raw, headers=headers)
    else:
        answer = demo_app.test_client().open(path, method=method, json=body, headers=headers)

    assert answer.status_code == expected, answer.text[:300]
    assert answer.mimetype == "application/json"
    assert set(answer.json) == {"error"} and set(answer.json["error"]) <= {"code", "message", "fields"}
    assert answer.json["error"]["message"]
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert state_fingerprint(demo_app)[1:] == before[1:]


def test_a_body_that_is_not_json_gets_415(demo_app) -> None:
    answer = demo_app.test_client().post("/api/v1/challenges", data={"title": "x"},
                                         headers=bearer(token_for(demo_app, "officer")))

    assert answer.status_code == 415 and answer.json["error"]["code"] == "unsupported_media_type"


def test_reference_page_and_document_are_public_and_self_contained(demo_app) -> None:
    client = demo_app.test_client()

    document = client.get("/api/v1/openapi.json")
    page = client.get("/api/v1/docs")

    assert document.status_code == 200 and document.json["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(document.json).validate()  # against the OpenAPI 3.1 meta-schema
    assert page.status_code == 200 and "PATCH /api/v1/challenges/{challenge_id}" in page.text
    assert "http://" not in page.text.replace("http://localhost", "") and "https://" not in page.text
    assert "<script" not in page.text
    assert page.headers["Content-Security-Policy"]


def test_every_api_route_is_in_the_document(demo_app) -> None:
    documented = {(method.upper(), path) for path, item in
                  demo_app.test_client().get("/api/v1/openapi.json").json["paths"].items() for method in item}
    routes = {(method, rule.rule.replace("<int:", "{").replace(">", "}")) for rule in demo_app.url_map.iter_rules()
              if rule.rule.startswith("/api/") for method in rule.methods - {"HEAD", "OPTIONS"}}

    assert routes == documented


def test_token_count_per_person_is_bounded(demo_app) -> None:
    from matchmaker.actions.tokens import MAX_ACTIVE_TOKENS

    for _ in range(MAX_ACTIVE_TOKENS):
        token_for(demo_app, "member")
    answer = login(demo_app.test_client(), "member").post("/settings/tokens", data={"name": "more", "scope": "read"})

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    count = session.scalar(select(func.count(ApiToken.id)))
    session.close()
    assert answer.status_code == 400 and count == MAX_ACTIVE_TOKENS
