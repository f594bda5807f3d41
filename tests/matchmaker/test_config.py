"""Settings from the environment are read strictly: a switch is on, off, or the start fails."""

from __future__ import annotations

import pytest

from matchmaker import create_app
from matchmaker.config import ConfigurationError, from_environment


@pytest.mark.parametrize(("value", "expected"), [
    ("1", True), ("true", True), ("TRUE", True), ("yes", True), ("on", True),
    ("0", False), ("false", False), ("False", False), ("no", False), ("off", False),
])
def test_session_cookie_secure_reads_on_and_off(value: str, expected: bool) -> None:
    assert from_environment({"MATCHMAKER_SESSION_COOKIE_SECURE": value})["SESSION_COOKIE_SECURE"] is expected


@pytest.mark.parametrize("value", ["", "ture", "2", "enabled", "nein"])
def test_anything_else_stops_the_start(value: str) -> None:
    with pytest.raises(ConfigurationError, match="SESSION_COOKIE_SECURE"):
        from_environment({"MATCHMAKER_SESSION_COOKIE_SECURE": value})


def test_false_really_turns_the_secure_flag_off(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MATCHMAKER_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("MATCHMAKER_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")

    app = create_app()

    assert app.config["SESSION_COOKIE_SECURE"] is False
    app.extensions["sqlalchemy_engine"].dispose()


def test_numbers_stay_numbers_and_odd_digits_stay_text() -> None:
    config = from_environment({"MATCHMAKER_SMTP_PORT": "2525", "MATCHMAKER_MAIL_FROM": "²"})

    assert config == {"SMTP_PORT": 2525, "MAIL_FROM": "²"}
