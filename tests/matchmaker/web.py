"""Helpers for tests that drive the app over HTTP."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from models import (
    AuditEvent,
    Challenge,
    Field,
    Organization,
    Project,
    ProjectKpi,
    ShortlistEntry,
    Stage,
    Technology,
    User,
)


def found(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    """The first match of `pattern` in a page; the test fails here, by name, when there is none."""
    match = re.search(pattern, text, flags)
    assert match is not None, f"no {pattern!r} in the page"
    return match

PASSWORDS = {
    "admin": "demo-admin-2026", "coordinator": "demo-coord-2026", "officer": "demo-officer-2026",
    "member": "demo-member-2026",
}
ACCOUNTS = {
    "officer": "officer.kawachinagano@demo.matchmaker.example",
    "officer_toyonaka": "officer.toyonaka@demo.matchmaker.example",
    "officer_toyono": "officer.toyono@demo.matchmaker.example",
    "member": "member@naniwa-mobility.example",
    "member_mimamori": "member@mimamori-tech.example",
    "coordinator": "coordinator@demo.matchmaker.example",
    "coordinator2": "coordinator2@demo.matchmaker.example",
    "admin": "admin@demo.matchmaker.example",
}


def login(client, who: str):
    password = PASSWORDS[who.split("_")[0].rstrip("2")]
    response = client.post("/login", data={"email": ACCOUNTS[who], "password": password})
    assert response.status_code == 302, response.text[:500]
    return client


def state_fingerprint(app) -> tuple:
    """Counts and versions that any accepted change would move."""
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return (
            session.scalar(select(func.count(AuditEvent.id))),
            session.scalar(select(func.count(Challenge.id))),
            session.scalar(select(func.sum(Challenge.version))),
            session.scalar(select(func.count(Technology.id))),
            session.scalar(select(func.sum(Technology.version))),
            session.scalar(select(func.count(ShortlistEntry.id))),
            session.scalar(select(func.count(User.id))),
            tuple(session.scalars(select(Organization.membership_status).order_by(Organization.id))),
        )
    finally:
        session.close()


def challenge_form(**overrides) -> dict:
    data = {
        "title": "駅前の放置自転車", "description": "駅前に放置自転車が多く、歩行者の通行を妨げています。",
        "field_keys": ["mobility"], "target": "駅周辺", "budget_range": "under_1m", "desired_start": "2027-04-01",
        "available_data": "", "status": "open",
    }
    data.update(overrides)
    return data


def technology_form(**overrides) -> dict:
    data = {
        "title": "放置自転車の自動検知", "description": "カメラ映像から放置自転車を検知し、撤去の計画を支援します。",
        "field_keys": ["mobility", "safety"], "maturity": "piloted", "price_band": "under_1m",
    }
    data.update(overrides)
    return data


def demo_project_in(app, stage: Stage, *, title: str, field_key: str | None = None) -> int:
    """A project in `stage` between the demo's ニュータウンの坂道 issue and AIオンデマンド乗合交通,
    written directly (no history); `field_key` first narrows the issue to that one field."""
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    challenge = session.scalar(select(Challenge).where(Challenge.title.like("ニュータウンの坂道%")))
    technology = session.scalar(select(Technology).where(Technology.title.like("AIオンデマンド乗合交通%")))
    if field_key is not None:
        challenge.fields = [session.scalar(select(Field).where(Field.key == field_key))]
    project = Project(title=title, stage=stage, lead_organization=technology.organization,
                      challenges=[challenge], technologies=[technology], municipalities=[challenge.municipality],
                      organizations=[technology.organization],
                      kpis=[ProjectKpi(name="利用者数", unit="人", baseline=0, target=100)])
    session.add(project)
    session.commit()
    project_id = project.id
    session.close()
    return project_id
