"""Password reset by mail, account e-mails, admin deactivation and a company managing its people."""

from __future__ import annotations

import re
import time
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker import jobs
from models import Notification, Organization, OutboxEmail, Role, User

from .test_join_privacy import _application, _without_tokens
from .web import ACCOUNTS, PASSWORDS, login


def _mails(app, recipient: str) -> list:
    found = []
    for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default)
        if str(message["To"]) == recipient:
            found.append(message)
    return found


def _link(message, prefix: str = "/password/reset/") -> str:
    found = re.search(r"https://match\.example\.jp(" + re.escape(prefix) + r"\S+)", message.get_content())
    assert found is not None, message.get_content()
    return found.group(1)


@pytest.fixture
def app_(demo_app):
    demo_app.config["PUBLIC_BASE_URL"] = "https://match.example.jp"
    return demo_app


def test_a_reset_answers_the_same_for_unknown_addresses_and_does_the_same_work(app_, monkeypatch) -> None:
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda _app, name, *args: queued.append((name, len(args))))
    client = app_.test_client()

    known = client.post("/password/forgot", data={"email": ACCOUNTS["member"]})
    unknown = client.post("/password/forgot", data={"email": "nobody@nowhere.example"})

    assert (known.status_code, unknown.status_code) == (200, 200)
    # (The language switch echoes what was typed; apart from that the pages are identical.)
    assert _without_tokens(known.text).replace(ACCOUNTS["member"], "@") == \
        _without_tokens(unknown.text).replace("nobody@nowhere.example", "@")
    # The request only queues the same job for both; the job alone looks the address up.
    assert queued == [("password_reset", 1), ("password_reset", 1)]


def test_a_reset_without_an_address_is_a_form_error_and_queues_nothing(app_, monkeypatch) -> None:
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda _app, name, *args: queued.append(name))

    response = app_.test_client().post("/password/forgot", data={"email": "  "})

    assert response.status_code == 400
    assert "メールアドレスを入力してください。" in response.text
    assert queued == []


def test_a_reset_link_works_once_and_ends_other_sessions(app_) -> None:
    other_browser = login(app_.test_client(), "member")
    client = app_.test_client()
    client.post("/password/forgot", data={"email": "ＭＥＭＢＥＲ@naniwa-mobility.example"})  # 全角 and case folded
    client.post("/password/forgot", data={"email": "nobody@nowhere.example"})
    (mail,) = _mails(app_, ACCOUNTS["member"])
    assert str(mail["Subject"]) == "[OSPFマッチング] パスワードの再設定"
    link = _link(mail)

    assert client.get(link).status_code == 200
    mismatch = client.post(link, data={"new_password": "a-new-password-1", "confirm_password": "different-1"})
    assert mismatch.status_code == 400
    done = client.post(link, data={"new_password": "a-new-password-1", "confirm_password": "a-new-password-1"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")

    assert client.post("/login", data={"email": ACCOUNTS["member"], "password": PASSWORDS["member"]}).status_code != 302
    assert app_.test_client().post("/login", data={"email": ACCOUNTS["member"],
                                                   "password": "a-new-password-1"}).status_code == 302
    assert other_browser.get("/company").status_code == 302  # signed out everywhere else
    used = client.get(link)
    assert used.status_code == 400 and "使用済みか、期限が切れています" in used.text
    assert client.post(link, data={"new_password": "another-pass-22", "confirm_password": "another-pass-22"}
                       ).status_code == 400
    assert client.get(link[:-4] + "abcd").status_code == 400  # altered


def test_a_reset_link_expires(app_, monkeypatch) -> None:
    app_.test_client().post("/password/forgot", data={"email": ACCOUNTS["officer"]})
    (mail,) = _mails(app_, ACCOUNTS["officer"])
    link = _link(mail)
    later = time.time() + app_.config["PASSWORD_RESET_MAX_AGE_SECONDS"] + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)

    expired = app_.test_client().post(link, data={"new_password": "a-new-password-1",
                                                  "confirm_password": "a-new-password-1"})
    assert expired.status_code == 400
    monkeypatch.undo()
    assert app_.test_client().post("/login", data={"email": ACCOUNTS["officer"],
                                                   "password": PASSWORDS["officer"]}).status_code == 302


def test_an_application_is_acknowledged_coordinators_are_told_and_the_decision_is_mailed(app_) -> None:
    app_.test_client().post("/join", data=_application())
    session = app_.extensions["sqlalchemy_sessionmaker"]()
    (received,) = _mails(app_, "yamada@apply.example.jp")
    assert "入会申請を受け付けました" in str(received["Subject"])
    coordinators = set(session.scalars(select(User.id).where(User.role == Role.COORDINATOR)))
    told = set(session.scalars(select(Notification.user_id).where(Notification.kind == "application_pending")))
    assert told == coordinators
    assert _mails(app_, ACCOUNTS["coordinator"])  # coordinators get it by mail too (default: at once)
    organization = session.scalar(select(Organization).where(Organization.name == "新規申請テック株式会社"))
    session.close()

    coordinator = login(app_.test_client(), "coordinator")
    assert coordinator.post(f"/coordination/applications/{organization.id}",
                            data={"decision": "approve", "confirm": "1"}).status_code in (302, 303)
    approved = _mails(app_, "yamada@apply.example.jp")[-1]
    assert str(approved["Subject"]) == "[OSPFマッチング] 入会申請が承認されました: 新規申請テック株式会社"
    assert "https://match.example.jp/login" in approved.get_content()


def test_an_admin_deactivating_someone_ends_every_session(app_) -> None:
    member = login(app_.test_client(), "member")
    admin = login(app_.test_client(), "admin")
    session = app_.extensions["sqlalchemy_sessionmaker"]()
    member_id = session.scalar(select(User.id).where(User.email == ACCOUNTS["member"]))
    admin_id = session.scalar(select(User.id).where(User.email == ACCOUNTS["admin"]))
    session.close()

    assert admin.post(f"/admin/users/{member_id}/active", data={"active": "0"}).status_code == 302
    assert member.get("/company").status_code == 302  # signed out
    assert app_.test_client().post("/login", data={"email": ACCOUNTS["member"],
                                                   "password": PASSWORDS["member"]}).status_code != 302
    assert admin.post(f"/admin/users/{member_id}/active", data={"active": "0"}).status_code == 409
    assert admin.post(f"/admin/users/{admin_id}/active", data={"active": "0"}).status_code == 400
    assert admin.post(f"/admin/users/{member_id}/active", data={"active": "maybe"}).status_code == 400
    assert admin.post(f"/admin/users/{member_id}/active", data={"active": "1"}).status_code == 302
    assert login(app_.test_client(), "member").get("/company").status_code == 200


def test_a_company_invites_a_colleague_who_sets_a_password_and_can_be_deactivated(app_) -> None:
    member = login(app_.test_client(), "member")
    session = app_.extensions["sqlalchemy_sessionmaker"]()
    own = session.scalar(select(User.organization_id).where(User.email == ACCOUNTS["member"]))
    other = session.scalar(select(User.organization_id).where(User.email == ACCOUNTS["member_mimamori"]))
    session.close()
    assert member.get(f"/organizations/{own}/manage").status_code == 200
    assert member.get(f"/organizations/{other}/manage").status_code == 403

    invited = member.post(f"/organizations/{own}/invite", data={"email": "new.colleague@naniwa-mobility.example",
                                                               "display_name": "新しい同僚"})
    assert invited.status_code == 302
    assert member.post(f"/organizations/{own}/invite", data={"email": "new.colleague@naniwa-mobility.example",
                                                            "display_name": "二度目"}).status_code == 409
    (invitation,) = _mails(app_, "new.colleague@naniwa-mobility.example")
    assert "招待" in str(invitation["Subject"])
    link = _link(invitation)
    colleague = app_.test_client()
    assert colleague.post(link, data={"new_password": "colleague-pass-1", "confirm_password": "colleague-pass-1"}
                          ).status_code == 302
    assert colleague.post("/login", data={"email": "new.colleague@naniwa-mobility.example",
                                          "password": "colleague-pass-1"}).status_code == 302
    assert colleague.get("/company").status_code == 200

    session = app_.extensions["sqlalchemy_sessionmaker"]()
    colleague_id = session.scalar(select(User.id).where(User.email == "new.colleague@naniwa-mobility.example"))
    version = session.get(Organization, own).version
    session.close()
    assert member.post(f"/organizations/{own}/members/{colleague_id}/active", data={"active": "0"}).status_code == 302
    assert colleague.get("/company").status_code == 302  # their session ended
    # The profile: saved with the version it was based on; a stale form is a conflict.
    profile = {"website": "https://naniwa.example.jp", "description": "更新した紹介", "contact_email": "info@naniwa.example.jp",
               "contact_phone": "06-1111-2222", "version": str(version)}
    assert member.post(f"/organizations/{own}/profile", data=profile).status_code == 302
    assert member.post(f"/organizations/{own}/profile", data=profile).status_code == 409
    assert member.post(f"/organizations/{own}/profile", data={**profile, "website": "javascript:x",
                                                              "version": str(version + 1)}).status_code == 400
    session = app_.extensions["sqlalchemy_sessionmaker"]()
    assert session.get(Organization, own).description == "更新した紹介"
    assert session.scalar(select(OutboxEmail.id).where(OutboxEmail.kind == "invitation")) is not None
    session.close()


def test_an_application_made_in_english_is_answered_in_english(app_) -> None:
    client = app_.test_client()
    client.post("/language", data={"lang": "en", "next": "/join"})
    client.post("/join", data=_application(organization_name="English Apply Ltd.", member_email="en@apply.example.jp"))

    (received,) = _mails(app_, "en@apply.example.jp")
    assert str(received["Subject"]) == "[OSPF Matching] Membership application received: English Apply Ltd."
