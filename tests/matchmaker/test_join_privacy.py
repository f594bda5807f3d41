"""/join does not reveal which e-mail addresses are registered; their owners are told by mail."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from models import Organization, OutboxEmail, User

from .web import ACCOUNTS, state_fingerprint


def _application(**overrides: str) -> dict[str, str]:
    data = {"organization_name": "新規申請テック株式会社", "organization_name_kana": "しんきしんせいてっく",
            "member_category": "corporate", "website": "https://apply.example.jp", "description": "",
            "contact_email": "info@apply.example.jp", "contact_phone": "06-0000-0000", "member_name": "山田",
            "member_email": "yamada@apply.example.jp", "password": "long-enough-pass"}
    data.update(overrides)
    return data


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def _count(app, query):
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return session.scalar(query)
    finally:
        session.close()


def test_a_registered_address_gets_the_same_answer_as_a_new_one(demo_app) -> None:
    new = demo_app.test_client().post("/join", data=_application())
    before = _count(demo_app, select(func.count(Organization.id)))

    registered = demo_app.test_client().post("/join", data=_application(
        organization_name="別名テック株式会社", member_email="ＭＥＭＢＥＲ@naniwa-mobility.example"))

    assert (new.status_code, registered.status_code) == (200, 200)
    assert _without_tokens(registered.text) == _without_tokens(new.text)
    assert "既に登録されています" not in registered.text
    assert _count(demo_app, select(func.count(Organization.id))) == before  # nothing was created


def test_the_owner_of_a_registered_address_is_told_by_mail(demo_app) -> None:
    demo_app.test_client().post("/join", data=_application(member_email=ACCOUNTS["member"]))

    mails = _count(demo_app, select(func.count(OutboxEmail.id)).where(
        OutboxEmail.recipient == ACCOUNTS["member"], OutboxEmail.kind == "repeated_application"))
    assert mails == 1
    assert _count(demo_app, select(func.count(User.id)).where(User.email == ACCOUNTS["member"])) == 1


def test_a_repeated_application_creates_no_account(demo_app) -> None:
    before = state_fingerprint(demo_app)

    demo_app.test_client().post("/join", data=_application(member_email=ACCOUNTS["officer"]))

    after = state_fingerprint(demo_app)
    assert after[1:] == before[1:]  # only the audit trail moved
