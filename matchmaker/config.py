"""Configuration from MATCHMAKER_* environment variables, with safe development defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from .parsing import NotANumber, parse_int

ENV_PREFIX = "MATCHMAKER_"


def _load_or_create_secret_key(instance_path: Path) -> str:
    """Development only: a random key kept under instance/ so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def default_config(instance_path: Path) -> dict[str, Any]:
    return {
        "DATABASE_URL": f"sqlite:///{instance_path / 'matchmaker.sqlite3'}",
        "SECRET_KEY": None,
        "BABEL_DEFAULT_LOCALE": "ja",
        "LANGUAGES": ("ja", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Requests: a form is text, so 1 MiB is generous; larger bodies get a 413 unread.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "MAX_FORM_PARTS": 1000,
        # How many reverse proxies in front of the app append to X-Forwarded-For (0: none, the
        # socket's address is the client).
        "TRUSTED_PROXIES": 0,
        # Sign-in throttling (matchmaker/throttle.py): failures allowed per account from one
        # client and per client before delays start, the first delay (doubling per failure) and
        # its ceiling, and how long after the last failure a count is forgotten.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_MAX_FAILURES_PER_CLIENT": 20,
        "LOGIN_FIRST_DELAY_SECONDS": 1,
        "LOGIN_MAX_DELAY_SECONDS": 15 * 60,
        "LOGIN_FAILURE_WINDOW_SECONDS": 60 * 60,
        "PAGE_SIZE": 20,
        # JSON API (matchmaker/api): requests per token per minute, counted in the database so
        # that every worker process shares the count.
        "API_RATE_LIMIT_PER_MINUTE": 120,
        "MATCH_TOP_K": 20,
        "ENGINE_STATE_PATH": str(instance_path / "engine_state"),
        "MAIL_OUTBOX_DIR": str(instance_path / "outbox"),
        "SMTP_HOST": "",
        "SMTP_PORT": 25,
        "MAIL_FROM": "matchmaker@example.invalid",
        # The site's public address (https://…), for absolute links in mail; "" gives paths.
        "PUBLIC_BASE_URL": "",
        "SMTP_TIMEOUT_SECONDS": 10,
        "JOBS": "thread",
        "JOBS_SWEEP_SECONDS": 30,
        "JOBS_TIMEOUT_SECONDS": 1800,
        "SNAPSHOT_MIN_CHANGES": 50,
        # Notification digests go out at this hour, Japan time (weekly ones on Mondays).
        "DIGEST_HOUR_JST": 8,
        "PASSWORD_RESET_MAX_AGE_SECONDS": 24 * 60 * 60,
        # Freshness: an open issue unconfirmed this long is possibly stale; this much later it closes.
        "ISSUE_RECONFIRM_DAYS": 90,
        "ISSUE_CLOSE_AFTER_DAYS": 30,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }


# Settings that are on or off. Their environment values are read strictly: a typo must stop the
# start, not silently pick a side (`bool("false")` is True).
BOOLEAN_SETTINGS = frozenset({"SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "TESTING", "DEBUG",
                              "WTF_CSRF_ENABLED"})


class ConfigurationError(ValueError):
    """A setting that cannot be read; the app refuses to start rather than guess."""


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, Any]:
    """Every MATCHMAKER_X variable becomes config key X; integers stay integers, switches become
    booleans. Raises ConfigurationError for a switch that is neither on nor off."""
    config: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):]
        if key in BOOLEAN_SETTINGS:
            config[key] = parse_switch(key, value)
            continue
        try:
            config[key] = parse_int(value, maximum=2**63 - 1)
        except NotANumber:
            config[key] = value
    return config


def parse_switch(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in SWITCH_VALUES:
        return SWITCH_VALUES[text]
    raise ConfigurationError(
        f"{ENV_PREFIX}{key}={value!r}: use one of {', '.join(SWITCH_VALUES)}"
    )


SWITCH_VALUES = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def finalize(config: dict[str, Any], instance_path: Path) -> None:
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _load_or_create_secret_key(instance_path)
    for key in BOOLEAN_SETTINGS & config.keys():
        config[key] = parse_switch(key, config[key])
    config.setdefault("SESSION_COOKIE_SECURE", False)
