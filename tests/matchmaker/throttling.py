"""Sign-in throttling scenarios, run on SQLite here and on PostgreSQL in tests/postgres."""

from __future__ import annotations

import threading

from matchmaker.actions import accounts

from .web import ACCOUNTS, PASSWORDS

ADMIN = ACCOUNTS["admin"]


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def count_password_checks(monkeypatch) -> list[str]:
    """Every password evaluation, by the hash it was checked against."""
    checked: list[str] = []
    original = accounts.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checked.append(stored)
        return original(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return checked


def simultaneous_wrong_passwords(app, monkeypatch, count: int = 30) -> None:
    """`count` guesses at once from one client: no more than the limit are evaluated, the rest
    are told when to come back, and the owner signs in from elsewhere at once."""
    app.config["LOGIN_FIRST_DELAY_SECONDS"] = 60  # the burst must not outlast the first delay
    checked = count_password_checks(monkeypatch)
    start = threading.Barrier(count, timeout=20)
    answers: list[tuple[int, str | None]] = []

    def guess(n: int) -> None:
        client = client_from(app, "203.0.113.7")
        start.wait()
        response = client.post("/login", data={"email": ADMIN, "password": f"wrong-guess-{n}"})
        answers.append((response.status_code, response.headers.get("Retry-After")))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    limit = app.config["LOGIN_MAX_FAILURES"]
    assert len(checked) == limit
    assert sorted(status for status, _ in answers) == [400] * limit + [429] * (count - limit)
    assert all(after is not None and int(after) > 0 for status, after in answers if status == 429)
    owner = client_from(app, "198.51.100.20").post("/login", data={"email": ADMIN, "password": PASSWORDS["admin"]})
    assert owner.status_code == 302
