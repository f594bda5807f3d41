"""Bad input gets a clear 4xx and never reaches the database: ids, numbers, controls, sizes, `next`."""

from __future__ import annotations

import pytest
from sqlalchemy import func

from matchmaker.parsing import NotANumber, is_safe_next, parse_id, parse_int

from .hostile import run_catalogue
from .web import ACCOUNTS, PASSWORDS, challenge_form, login, state_fingerprint

PARSED = [
    ("12", 12),
    (" 7 ", 7),
    ("０１２", 12),  # 全角 digits typed with a Japanese IME
    ("2147483647", 2**31 - 1),
]
REFUSED = ["", " ", "²", "١٢", "⑫", "1.0", "-1", "+1", "1e3", "1 2", "0x10", "2147483648", "9" * 5000, "1\x00",
           "abc"]


@pytest.mark.parametrize(("raw", "expected"), PARSED)
def test_parse_int_reads_ascii_and_full_width_digits(raw: str, expected: int) -> None:
    assert parse_int(raw) == expected


@pytest.mark.parametrize("raw", REFUSED)
def test_parse_int_refuses_everything_else(raw: str) -> None:
    with pytest.raises(NotANumber):
        parse_int(raw)


def test_an_id_starts_at_one() -> None:
    with pytest.raises(NotANumber):
        parse_id("0")


def test_the_bad_input_catalogue_gets_4xx_on_sqlite(demo_app) -> None:
    assert run_catalogue(demo_app) == []


def test_a_full_width_id_in_a_path_names_the_same_page(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    ascii_page = client.get("/challenges/1")
    full_width = client.get("/challenges/１")

    assert ascii_page.status_code == full_width.status_code == 200


def test_a_query_string_number_error_says_which_parameter(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.get("/challenges?page=²")

    assert response.status_code == 400
    assert "page には 1 以上の整数を指定してください" in response.text


def test_a_control_character_in_a_textarea_keeps_everything_typed(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    before = state_fingerprint(demo_app)

    response = client.post("/challenges/new", data=challenge_form(
        title="駅前の放置自転車の件", description="一段落目\r\n\x0c二段落目"))

    assert response.status_code == 400
    assert "使用できない制御文字が含まれています" in response.text
    assert "駅前の放置自転車の件" in response.text and "二段落目" in response.text
    assert state_fingerprint(demo_app) == before


def test_line_breaks_stay_allowed_in_multi_line_text(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.post("/challenges/new", data=challenge_form(description="一段落目\r\n\t二段落目の説明です。"))

    assert response.status_code == 302


def test_a_line_break_in_a_single_line_field_is_refused(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.post("/challenges/new", data=challenge_form(title="駅前\r\nの放置自転車"))

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text


UNSAFE_NEXT = ["//evil.example/", "/\\evil.example/", "\\\\evil.example", "https://evil.example/",
               "javascript:alert(1)", "/ok\r\nSet-Cookie: x=1", "/ok\nx", "evil", "/%0d%0a" + "\r"]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_unsafe_next_targets_are_refused(target: str) -> None:
    assert not is_safe_next(target)


@pytest.mark.parametrize("target", ["/", "/challenges?page=2&q=坂道", "/projects/3#history"])
def test_same_site_paths_are_allowed(target: str) -> None:
    assert is_safe_next(target)


@pytest.mark.parametrize("target", ["/ok\r\nSet-Cookie: x=1", "/\\evil.example/", "//evil.example/"])
def test_language_switch_never_redirects_off_site_or_splits_headers(demo_app, target: str) -> None:
    response = demo_app.test_client().post("/language", data={"lang": "en", "next": target})

    assert response.status_code in (302, 400)
    assert response.headers.get("Location", "/") == "/"
    assert "Set-Cookie: x" not in str(response.headers)


@pytest.mark.parametrize("target", ["/\\evil.example/", "//evil.example/", "https://evil.example/"])
def test_login_next_never_leaves_the_site(demo_app, target: str) -> None:
    response = demo_app.test_client().post("/login", query_string={"next": target},
                                           data={"email": ACCOUNTS["admin"], "password": PASSWORDS["admin"]})

    assert response.status_code == 302
    assert response.headers["Location"] == "/home"


def test_login_next_with_a_line_break_is_refused_before_signing_in(demo_app) -> None:
    client = demo_app.test_client()

    response = client.post("/login?next=/x%0d%0aSet-Cookie:%20a=b",
                           data={"email": ACCOUNTS["admin"], "password": PASSWORDS["admin"]})

    assert response.status_code == 400
    assert client.get("/home").status_code == 302  # not signed in


def test_login_follows_a_same_site_next(demo_app) -> None:
    response = demo_app.test_client().post("/login?next=/challenges%3Fpage%3D2",
                                           data={"email": ACCOUNTS["admin"], "password": PASSWORDS["admin"]})

    assert response.headers["Location"] == "/challenges?page=2"


def test_a_ten_megabyte_anonymous_login_post_is_refused_unread(demo_app) -> None:
    marker = "x" * (10 * 1024 * 1024)

    response = demo_app.test_client().post("/login", data={"email": marker, "password": "x"})

    assert response.status_code == 413
    assert len(response.data) < 20_000
    assert "送信された内容が大きすぎます" in response.text


def test_form_memory_is_limited_below_the_request_limit(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    response = client.post("/challenges/new", data=challenge_form(description="あ" * 300_000))

    assert response.status_code == 413


def test_an_overlong_login_email_is_not_echoed(demo_app) -> None:
    email = "a" * 5000 + "@example.jp"

    response = demo_app.test_client().post("/login", data={"email": email, "password": "x"})

    assert response.status_code == 400
    assert "a" * 300 not in response.text


def test_ids_in_form_fields_follow_the_one_id_rule(demo_app) -> None:
    """A member's proposal names its issue and technology with ids written as people paste them
    (spaces, 全角 digits): the views read them with the same rule as the guard, not isdigit()."""
    from sqlalchemy import select

    from models import Challenge, ChallengeStatus, Organization, Project, Technology

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    try:
        technology = session.scalars(select(Technology).join(Organization)
                                     .where(Organization.name == "なにわモビリティ株式会社",
                                            Technology.is_retired.is_(False))).first()
        challenge = session.scalars(select(Challenge).where(Challenge.status == ChallengeStatus.OPEN)).first()
        before = session.scalar(select(func.count(Project.id)))
        assert technology is not None and challenge is not None
        full_width = str(challenge.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        technology_id = technology.id
    finally:
        session.close()
    client = login(demo_app.test_client(), "member")

    response = client.post("/projects/new", data={"challenge": f" {full_width} ", "technology": f" {technology_id}",
                                                  "title": "貼り付けた番号で提案", "summary": "テスト"})

    assert response.status_code == 302, response.text[:300]
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    try:
        assert session.scalar(select(func.count(Project.id))) == before + 1
    finally:
        session.close()


def test_a_bad_id_in_a_multi_valued_form_field_is_a_400(demo_app) -> None:
    client = login(demo_app.test_client(), "member")

    response = client.post("/projects/new", data={"challenge": ["1", "²"], "technology": "1", "title": "x"})

    assert response.status_code == 400


def test_parse_ids_skips_blanks_and_refuses_the_rest() -> None:
    from matchmaker.parsing import parse_ids

    assert parse_ids(["1", " ", "", "２", None]) == [1, 2]
    with pytest.raises(NotANumber):
        parse_ids(["1", "x"])
