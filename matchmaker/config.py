"""Configuration from MATCHMAKER_* environment variables, with safe development defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

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
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
        "PAGE_SIZE": 20,
        "MATCH_TOP_K": 20,
        "ENGINE_STATE_PATH": str(instance_path / "engine_state"),
        "MAIL_OUTBOX_DIR": str(instance_path / "outbox"),
        "SMTP_HOST": "",
        "SMTP_PORT": 25,
        "MAIL_FROM": "matchmaker@example.invalid",
    }


def from_environment(environ: os._Environ[str] | dict[str, str] = os.environ) -> dict[str, Any]:
    """Every MATCHMAKER_X variable becomes config key X; integers stay integers."""
    config: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):]
        config[key] = int(value) if value.isdigit() else value
    return config


def finalize(config: dict[str, Any], instance_path: Path) -> None:
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _load_or_create_secret_key(instance_path)
    config["SESSION_COOKIE_SECURE"] = bool(config.get("SESSION_COOKIE_SECURE", False))
