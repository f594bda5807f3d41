"""Signing in and out: sessions end on the server, failures are throttled, applications wait."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select

from models import Organization, User

from .web import ACCOUNTS, PASSWORDS, login


def test_login_lands_on_the_roles_home(demo_app) -> None:
    response = demo_app.test_client().post("/login", data={"email": ACCOUNTS["officer"], "password": PASSWORDS["officer"]})

    assert response.headers["Location"] == "/home"


def test_email_is_case_insensitive_and_full_width_tolerant(demo_app) -> None:
    response = demo_app.test_client().post("/login", data={"email": "ＡＤＭＩＮ@demo.matchmaker.example",
                                                           "password": PASSWORDS["admin"]})

    assert response.status_code == 302


def test_wrong_password_gets_a_vague_message(demo_app) -> None:
    response = demo_app.test_client().post("/login", data={"email": ACCOUNTS["admin"], "password": "wrong-password"})

    assert response.status_code == 400
    assert "メールアドレスまたはパスワードが正しくありません" in response.text


def _probing_the_write_lock(app, slow, seen: list[str]):
    """`slow` (a password hash function) that first tries to take the SQLite write lock from
    another connection, without waiting, and notes whether it was free."""
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")

    def probe(*args, **kwargs):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            seen.append("write lock free")
        except sqlite3.OperationalError as error:
            seen.append(str(error))
        finally:
            other.close()
        return slow(*args, **kwargs)

    return probe


@pytest.mark.sqlite
def test_the_slow_password_check_does_not_hold_the_sqlite_write_lock(demo_app, monkeypatch) -> None:
    """scrypt takes a third of a second: a sign-in must not stop every other writer meanwhile."""
    from matchmaker.actions import accounts

    seen: list[str] = []
    monkeypatch.setattr(accounts, "check_password_hash", _probing_the_write_lock(
        demo_app, accounts.check_password_hash, seen))
    client = demo_app.test_client()
    wrong = client.post("/login", data={"email": ACCOUNTS["officer"], "password": "wrong-password"})
    right = client.post("/login", data={"email": ACCOUNTS["admin"], "password": PASSWORDS["admin"]})

    assert (wrong.status_code, right.status_code) == (400, 302)
    assert seen == ["write lock free", "write lock free"]


@pytest.mark.sqlite
def test_an_anonymous_application_hashes_its_password_before_taking_the_sqlite_write_lock(
        demo_app, monkeypatch) -> None:
    from matchmaker.actions import accounts

    seen: list[str] = []
    monkeypatch.setattr(accounts, "generate_password_hash", _probing_the_write_lock(
        demo_app, accounts.generate_password_hash, seen))
    application = {"organization_name": "ロック検証株式会社", "member_category": "corporate",
                   "contact_email": "info@lock.example.jp", "member_name": "山田", "password": "long-enough-pass"}
    new = demo_app.test_client().post("/join", data={**application, "member_email": "new@lock.example.jp"})
    registered = demo_app.test_client().post("/join", data={**application, "organization_name": "ロック検証2株式会社",
                                                            "member_email": ACCOUNTS["member"]})

    assert (new.status_code, registered.status_code) == (200, 200)
    assert seen == ["write lock free", "write lock free"]


def test_repeated_failures_are_throttled_even_with_the_right_password(demo_app) -> None:
    client = demo_app.test_client()
    for _ in range(demo_app.config["LOGIN_MAX_FAILURES"]):
        client.post("/login", data={"email": ACCOUNTS["admin"], "password": "wrong-password"})

    response = client.post("/login", data={"email": ACCOUNTS["admin"], "password": PASSWORDS["admin"]})

    assert response.status_code == 429
    assert "お待ちください" in response.text and int(response.headers["Retry-After"]) > 0


def test_throttling_is_shared_by_separate_app_instances(demo_app, tmp_path, monkeypatch) -> None:
    """Two gunicorn workers are two processes: the limit lives in the database, not in memory."""
    from matchmaker import create_app

    other_worker = create_app(dict(demo_app.config))
    for _ in range(demo_app.config["LOGIN_MAX_FAILURES"]):
        demo_app.test_client().post("/login", data={"email": ACCOUNTS["admin"], "password": "wrong-password"})

    response = other_worker.test_client().post("/login", data={"email": ACCOUNTS["admin"], "password": PASSWORDS["admin"]})

    assert response.status_code == 429


def test_logout_ends_the_session_even_for_a_kept_cookie(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    kept_cookie = client.get_cookie("session").value

    client.post("/logout")
    thief = demo_app.test_client()
    thief.set_cookie("session", kept_cookie)

    response = thief.get("/municipality")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changing_the_password_ends_other_sessions_but_not_this_one(demo_app) -> None:
    here = login(demo_app.test_client(), "officer")
    elsewhere = login(demo_app.test_client(), "officer")

    response = here.post("/account/password", data={"current_password": PASSWORDS["officer"],
                                                    "new_password": "a-new-password-2027",
                                                    "confirm_password": "a-new-password-2027"})

    assert response.status_code == 302
    assert here.get("/municipality").status_code == 200
    assert elsewhere.get("/municipality").status_code == 302


def test_password_change_refuses_a_wrong_current_password(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.post("/account/password", data={"current_password": "nope-nope-nope",
                                                      "new_password": "a-new-password-2027",
                                                      "confirm_password": "a-new-password-2027"})

    assert response.status_code == 400
    assert "現在のパスワードが正しくありません" in response.text


def test_an_application_waits_for_approval_before_its_member_can_sign_in(demo_app) -> None:
    applicant = {"organization_name": "新規テック株式会社", "organization_name_kana": "しんきてっく",
                 "member_category": "corporate", "website": "https://new.example.jp", "description": "",
                 "contact_email": "info@new.example.jp", "contact_phone": "06-0000-0000", "member_name": "山田",
                 "member_email": "yamada@new.example.jp", "password": "long-enough-pass"}
    demo_app.test_client().post("/join", data=applicant)
    credentials = {"email": "yamada@new.example.jp", "password": "long-enough-pass"}
    before_approval = demo_app.test_client().post("/login", data=credentials)
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    organization_id = session.scalar(select(Organization.id).where(Organization.name == "新規テック株式会社"))
    session.close()

    coordinator = login(demo_app.test_client(), "coordinator")
    coordinator.post(f"/coordination/applications/{organization_id}", data={"decision": "approve"})

    after_approval = demo_app.test_client().post("/login", data=credentials)
    assert before_approval.status_code == 400
    assert after_approval.status_code == 302


def test_rejecting_an_application_needs_a_reason(demo_app) -> None:
    demo_app.test_client().post("/join", data={
        "organization_name": "却下テスト株式会社", "member_category": "corporate", "contact_email": "a@b.jp",
        "member_name": "A", "member_email": "a@reject.example.jp", "password": "long-enough-pass"})
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    organization = session.scalar(select(Organization).where(Organization.name == "却下テスト株式会社"))
    coordinator = login(demo_app.test_client(), "coordinator")

    coordinator.post(f"/coordination/applications/{organization.id}", data={"decision": "reject"})
    session.rollback()  # a new read transaction sees the requests' commits
    still_pending = organization.membership_status.value
    coordinator.post(f"/coordination/applications/{organization.id}", data={"decision": "reject", "reason": "実体不明"})
    session.rollback()

    assert still_pending == "pending"
    assert organization.membership_status.value == "rejected"
    assert not session.scalar(select(User).where(User.email == "a@reject.example.jp")).is_active
