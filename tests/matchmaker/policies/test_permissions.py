"""The permission vocabulary: every permission is checked somewhere, and named resource:action."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from matchmaker.policies import ROLE_PERMISSIONS, Permission
from models import Role

ROOT = Path(__file__).resolve().parents[3]


def _checks_outside_the_policies() -> str:
    """Source and templates that ask for permissions (the policy package only declares them)."""
    sources = [p for p in (ROOT / "matchmaker").rglob("*.py") if "policies" not in p.parts]
    sources += list((ROOT / "templates").rglob("*.html")) + list((ROOT / "seed").rglob("*.py"))
    return "\n".join(p.read_text(encoding="utf-8") for p in sources)


@pytest.mark.parametrize("permission", list(Permission), ids=[p.value for p in Permission])
def test_every_permission_is_checked_somewhere(permission: Permission) -> None:
    text = _checks_outside_the_policies()
    asked = f"Permission.{permission.name}" in text or re.search(rf"can\(\s*'{re.escape(permission.value)}'", text)
    assert asked, f"{permission.value} is declared but never checked: remove it or enforce it"


@pytest.mark.parametrize("permission", list(Permission), ids=[p.value for p in Permission])
def test_every_permission_is_held_by_some_role_and_named_resource_action(permission: Permission) -> None:
    assert re.fullmatch(r"[a-z][a-z_]*:[a-z][a-z_]*", permission.value)
    assert any(permission in held for held in ROLE_PERMISSIONS.values())


def test_every_role_has_a_row() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
