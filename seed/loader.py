"""Idempotent loaders: each record is found by its natural key and only created when missing."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    BudgetRange,
    Challenge,
    ChallengeStatus,
    Field,
    Maturity,
    MemberCategory,
    Municipality,
    Organization,
    OrganizationKind,
    PriceBand,
    Role,
    Technology,
    User,
    normalize_email,
)

DATA_DIR = Path(__file__).resolve().parent / "data"


def _read_csv(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_toml(pattern: str) -> Iterator[dict[str, Any]]:
    for path in sorted(DATA_DIR.glob(pattern)):
        with path.open("rb") as handle:
            yield tomllib.load(handle)


def municipality_regions() -> dict[str, str]:
    """Region of each municipality, by name and by code (no database needed)."""
    regions: dict[str, str] = {}
    for row in _read_csv("municipalities.csv"):
        regions[row["name"]] = regions[row["code"]] = row["region"]
    return regions


def load_reference(session: Session) -> Counter[str]:
    """The 43 municipalities and 13 fields."""
    created: Counter[str] = Counter()
    existing_codes = set(session.scalars(select(Municipality.code)))
    for row in _read_csv("municipalities.csv"):
        if row["code"] not in existing_codes:
            session.add(Municipality(**row))
            created["municipalities"] += 1
    existing_fields = set(session.scalars(select(Field.key)))
    for position, row in enumerate(_read_csv("fields.csv")):
        if row["key"] not in existing_fields:
            session.add(Field(position=position, **row))
            created["fields"] += 1
    session.flush()
    return created


def demo_organizations() -> list[dict[str, Any]]:
    return [org for document in _read_toml("demo_organizations_*.toml") for org in document["organization"]]


def demo_challenges() -> list[dict[str, Any]]:
    return [c for document in _read_toml("demo_challenges.toml") for c in document["challenge"]]


def demo_users() -> tuple[dict[str, str], list[dict[str, Any]]]:
    document = next(_read_toml("demo_users.toml"))
    return document["passwords"], document["user"]


class _Lookup:
    def __init__(self, session: Session) -> None:
        self.municipalities = {m.name: m for m in session.scalars(select(Municipality))}
        self.fields = {f.key: f for f in session.scalars(select(Field))}

    def fields_for(self, keys: list[str]) -> list[Field]:
        return [self.fields[key] for key in keys]


def load_demo(session: Session, *, hash_password: Callable[[str], str]) -> Counter[str]:
    """Demo organizations, technologies, users and challenges (after load_reference)."""
    created: Counter[str] = Counter()
    lookup = _Lookup(session)
    organizations = {o.name: o for o in session.scalars(select(Organization))}
    technologies = {(t.organization_id, t.title) for t in session.scalars(select(Technology))}

    for record in demo_organizations():
        org = organizations.get(record["name"])
        if org is None:
            org = Organization(
                name=record["name"], name_kana=record.get("name_kana", ""), name_en=record.get("name_en", ""),
                kind=OrganizationKind(record["kind"]), member_category=MemberCategory(record["category"]),
                website=record.get("website", ""), description=record.get("description", ""),
                contact_email=f"contact@{record['website'].split('//')[-1]}" if record.get("website") else "",
                municipality=lookup.municipalities.get(record.get("municipality", "")),
            )
            session.add(org)
            session.flush()
            organizations[org.name] = org
            created["organizations"] += 1
        for tech in record.get("technology", []):
            if (org.id, tech["title"]) in technologies:
                continue
            session.add(Technology(
                organization=org, title=tech["title"], description=tech["description"],
                fields=lookup.fields_for(tech["fields"]), maturity=Maturity(tech["maturity"]),
                price_band=PriceBand(tech.get("price", "on_request")),
                deployed_in=[lookup.municipalities[name] for name in tech.get("deployed_in", [])],
            ))
            technologies.add((org.id, tech["title"]))
            created["technologies"] += 1

    passwords, users = demo_users()
    existing_emails = set(session.scalars(select(User.email)))
    officers_by_municipality: dict[str, User] = {}
    for record in users:
        email = normalize_email(record["email"])
        if email in existing_emails:
            continue
        role = Role(record["role"])
        user = User(
            email=email, display_name=record["display_name"], role=role,
            password_hash=hash_password(passwords[role.value]),
            municipality=lookup.municipalities.get(record.get("municipality", "")),
            organization=organizations.get(record.get("organization", "")),
            coordinator_fields=lookup.fields_for(record.get("fields", [])),
        )
        session.add(user)
        created["users"] += 1
    session.flush()
    for officer in session.scalars(select(User).where(User.role == Role.MUNICIPAL_OFFICER)):
        if officer.municipality is not None:
            officers_by_municipality.setdefault(officer.municipality.name, officer)

    existing_challenges = {(c.municipality_id, c.title) for c in session.scalars(select(Challenge))}
    for record in demo_challenges():
        municipality = lookup.municipalities[record["municipality"]]
        if (municipality.id, record["title"]) in existing_challenges:
            continue
        start = record.get("start")
        session.add(Challenge(
            municipality=municipality, author=officers_by_municipality.get(municipality.name),
            title=record["title"], description=record["description"], target=record.get("target", ""),
            budget_range=BudgetRange(record.get("budget", "undecided")),
            desired_start=start if isinstance(start, dt.date) else None,
            available_data=record.get("data", ""),
            status=ChallengeStatus(record.get("status", "open")),
            fields=lookup.fields_for(record["fields"]),
        ))
        created["challenges"] += 1
    session.flush()
    return created
