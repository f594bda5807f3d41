"""Bad input on every form: the form again with a clear message, never a 500, nothing saved."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Challenge

from .web import challenge_form, login, state_fingerprint, technology_form

BAD_TEXT = {
    "empty": "",
    "too-long": "あ" * 5000,
    "nul-byte": "課題\x00です",
    "control-character": "課題\x07です",
}


@pytest.mark.parametrize("case", BAD_TEXT)
@pytest.mark.parametrize("field", ["title", "description"])
def test_challenge_form_refuses_bad_text(demo_app, case: str, field: str) -> None:
    client = login(demo_app.test_client(), "officer")
    before = state_fingerprint(demo_app)

    response = client.post("/challenges/new", data=challenge_form(**{field: BAD_TEXT[case]}))

    assert response.status_code == 400
    assert 'role="alert"' in response.text and 'aria-invalid="true"' in response.text
    assert state_fingerprint(demo_app) == before


@pytest.mark.parametrize("case", BAD_TEXT)
@pytest.mark.parametrize("field", ["title", "description"])
def test_technology_form_refuses_bad_text(demo_app, case: str, field: str) -> None:
    client = login(demo_app.test_client(), "member")
    before = state_fingerprint(demo_app)

    response = client.post("/technologies/new", data=technology_form(**{field: BAD_TEXT[case]}))

    assert response.status_code == 400
    assert state_fingerprint(demo_app) == before


def test_too_long_input_names_the_limit_and_keeps_the_text(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.post("/challenges/new", data=challenge_form(title="長" * 121))

    assert response.status_code == 400
    assert "120文字以内で入力してください（現在121文字）" in response.text
    assert "長" * 121 in response.text  # nothing the user typed is lost


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"field_keys": []}, "分野を1つ以上選んでください"),
        ({"field_keys": ["space"]}, "不明な分野が含まれています"),
        ({"budget_range": "a-lot"}, "選択肢から選んでください"),
        ({"desired_start": "来年の春"}, "時期は 2027年4月、2027年度、令和9年4月、2027-04-01 のように入力してください"),
        ({"desired_start": "2027-02-30"}, "時期は 2027年4月、2027年度、令和9年4月、2027-04-01 のように入力してください"),
        ({"desired_start": "2027年4月（令和8年度）"}, "時期は 2027年4月、2027年度、令和9年4月、2027-04-01 のように入力してください"),
        ({"desired_start": "2027年4月" + " (FY2027)" * 1200}, "時期は 2027年4月、2027年度、令和9年4月、2027-04-01 のように入力してください"),
    ],
    ids=["no-field", "unknown-field", "unknown-budget", "not-a-date", "impossible-date", "disagreeing-fiscal-year",
         "pasted-labels"],
)
def test_challenge_form_explains_each_problem(demo_app, overrides, message) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.post("/challenges/new", data=challenge_form(**overrides))

    assert response.status_code == 400
    assert message in response.text


def test_full_width_digits_in_a_date_are_understood(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.post("/challenges/new", data=challenge_form(title="全角日付の課題", desired_start="２０２７／４／１"))

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    saved = session.scalar(select(Challenge).where(Challenge.title == "全角日付の課題"))
    assert response.status_code == 302
    assert saved.desired_start.isoformat() == "2027-04-01"


def test_html_is_stored_as_text_and_shown_escaped(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    response = client.post("/challenges/new", data=challenge_form(title="<script>alert(1)</script>課題"))

    page = client.get(response.headers["Location"])

    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;課題" in page.text


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"organization_name": ""}, 400, "入力してください"),
        ({"website": "javascript:alert(1)"}, 400, "http:// または https://"),
        ({"member_email": "not-an-email"}, 400, "メールアドレスの形式が正しくありません"),
        ({"password": "short"}, 400, "10文字以上"),
        ({"member_category": "platinum"}, 400, "選択肢から選んでください"),
        ({"organization_name": "なにわモビリティ株式会社"}, 409, "既に登録されています"),
        ({"description": "紹介\x00"}, 400, "制御文字"),
    ],
    ids=["empty-name", "bad-url", "bad-email", "short-password", "bad-category", "duplicate-name", "nul"],
)
def test_membership_form_bad_input(demo_app, overrides, status, message) -> None:
    data = {"organization_name": "新規テック株式会社", "organization_name_kana": "", "member_category": "corporate",
            "website": "https://new.example.jp", "description": "", "contact_email": "info@new.example.jp",
            "contact_phone": "", "member_name": "山田", "member_email": "yamada@new.example.jp",
            "password": "long-enough-pass"}
    data.update(overrides)
    before = state_fingerprint(demo_app)

    response = demo_app.test_client().post("/join", data=data)

    assert response.status_code == status
    assert message in response.text
    assert state_fingerprint(demo_app) == before


def test_messages_are_in_english_when_english_is_chosen(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    client.post("/language", data={"lang": "en", "next": "/"})

    response = client.post("/challenges/new", data=challenge_form(title="長" * 121))

    assert response.status_code == 400
    assert "Please use at most 120 characters (currently 121)." in response.text


def test_forms_refuse_a_missing_csrf_token(demo_app) -> None:
    demo_app.config["WTF_CSRF_ENABLED"] = True
    client = demo_app.test_client()
    before = state_fingerprint(demo_app)

    response = client.post("/join", data={"organization_name": "x"})

    assert response.status_code == 400
    assert state_fingerprint(demo_app) == before
