"""Sign-in throttling slows guessing per account+client and per client, and locks no one out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from matchmaker import create_app, throttle
from models import User, utcnow

from . import throttling
from .throttling import ADMIN, client_from
from .web import ACCOUNTS, PASSWORDS

LIMITS = throttle.Limits(per_account_and_client=5, per_client=20, first_delay_seconds=1, max_delay_seconds=900)


@pytest.mark.parametrize(("failures", "limit", "seconds"), [
    (0, 5, 0), (4, 5, 0), (5, 5, 1), (6, 5, 2), (9, 5, 16), (14, 5, 512), (15, 5, 900), (60, 5, 900), (20, 20, 1),
])
def test_the_delay_doubles_from_the_limit_up_to_a_ceiling(failures: int, limit: int, seconds: float) -> None:
    assert throttle.delay_after(failures, limit, LIMITS) == seconds


def _fail(client, email: str = ADMIN, times: int = 1) -> list[int]:
    return [client.post("/login", data={"email": email, "password": "wrong-password"}).status_code for _ in range(times)]


def test_many_people_signing_in_from_one_address_are_never_slowed(demo_app) -> None:
    """An office behind one proxy: successful sign-ins are not guesses of that client."""
    office = client_from(demo_app, "203.0.113.7")
    people = ["admin", "officer", "member", "coordinator"] * 8  # more than the per-client limit of 20

    statuses = [office.post("/login", data={"email": ACCOUNTS[who], "password": PASSWORDS[who]}).status_code
                for who in people]

    assert statuses == [302] * len(people)


def test_after_the_limit_even_the_right_password_waits_and_is_told_how_long(demo_app) -> None:
    client = client_from(demo_app, "203.0.113.1")
    assert _fail(client, times=5) == [400] * 5

    response = client.post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]})

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert "1 秒お待ちください" in response.text


def test_the_right_password_works_once_the_delay_has_passed(demo_app, monkeypatch) -> None:
    client = client_from(demo_app, "203.0.113.1")
    _fail(client, times=8)  # the delay is now 8 s
    later = utcnow() + dt.timedelta(seconds=9)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)

    response = client.post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]})

    assert response.status_code == 302


def test_a_wrong_password_after_the_delay_doubles_it(demo_app, monkeypatch) -> None:
    client = client_from(demo_app, "203.0.113.1")
    _fail(client, times=5)
    later = utcnow() + dt.timedelta(seconds=2)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)

    statuses = _fail(client, times=2)
    response = client.post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]})

    assert statuses == [400, 429]
    assert response.headers["Retry-After"] == "2"


def test_someone_elses_guesses_do_not_lock_the_owner_out(demo_app) -> None:
    _fail(client_from(demo_app, "203.0.113.1"), times=12)

    owner = client_from(demo_app, "198.51.100.20").post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]})

    assert owner.status_code == 302


def test_one_client_guessing_many_accounts_is_slowed_but_others_are_not(demo_app) -> None:
    guesser = client_from(demo_app, "203.0.113.1")
    statuses = [_fail(guesser, f"nobody{n}@example.jp")[0] for n in range(20)]

    blocked = guesser.post("/login", data={"email": ACCOUNTS["officer"], "password": PASSWORDS["officer"]})
    elsewhere = client_from(demo_app, "198.51.100.20").post(
        "/login", data={"email": ACCOUNTS["officer"], "password": PASSWORDS["officer"]})

    assert statuses == [400] * 20
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert elsewhere.status_code == 302


def test_a_correct_password_clears_the_count_for_that_account_and_client(demo_app) -> None:
    client = client_from(demo_app, "203.0.113.1")
    _fail(client, times=4)
    assert client.post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]}).status_code == 302
    client.post("/logout")

    assert _fail(client, times=5) == [400] * 5


def test_forwarded_addresses_count_only_behind_trusted_proxies(demo_app) -> None:
    """Without TRUSTED_PROXIES anyone could claim any address; behind one proxy, its
    X-Forwarded-For names the client, so one attacker does not slow down everyone behind it."""
    direct = demo_app.test_client()
    for n in range(5):
        direct.post("/login", data={"email": ADMIN, "password": "wrong"}, headers={"X-Forwarded-For": f"10.0.0.{n}"})
    spoofed = direct.post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]},
                          headers={"X-Forwarded-For": "10.9.9.9"})

    proxied = create_app({**demo_app.config, "TRUSTED_PROXIES": 1}).test_client()
    for _ in range(5):
        proxied.post("/login", data={"email": ADMIN, "password": "wrong"}, headers={"X-Forwarded-For": "10.0.0.1"})
    other_client = proxied.post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]},
                                headers={"X-Forwarded-For": "10.0.0.2"})

    assert spoofed.status_code == 429
    assert other_client.status_code == 302


def test_simultaneous_wrong_passwords_evaluate_no_more_than_the_limit(demo_app, monkeypatch) -> None:
    throttling.simultaneous_wrong_passwords(demo_app, monkeypatch)


def _deactivate(app, email: str) -> None:
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    session.scalar(select(User).where(User.email == email)).is_active = False
    session.commit()
    session.close()


def test_every_kind_of_account_costs_one_password_check_of_the_same_kind(demo_app, monkeypatch) -> None:
    """Unknown, deactivated and real accounts take the same work, so timing reveals nothing."""
    _deactivate(demo_app, ACCOUNTS["member_mimamori"])
    checked = throttling.count_password_checks(monkeypatch)
    client = demo_app.test_client()

    answers = [client.post("/login", data={"email": email, "password": "wrong-password"}) for email in (
        "nobody@example.jp", ACCOUNTS["member_mimamori"], ACCOUNTS["member"])]
    inactive_right = client.post("/login", data={"email": ACCOUNTS["member_mimamori"], "password": PASSWORDS["member"]})

    assert [a.status_code for a in answers] + [inactive_right.status_code] == [400] * 4
    assert len({a.text for a in answers}) == 1 or all("メールアドレスまたはパスワードが正しくありません" in a.text
                                                       for a in answers)
    assert len(checked) == 4
    method = demo_app.config["PASSWORD_HASH_METHOD"]
    assert all(stored.startswith(method + "$") for stored in checked)
