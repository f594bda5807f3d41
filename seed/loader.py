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


def _at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(hour=10, tzinfo=dt.UTC)


def _clock(when: str) -> Callable[[], dt.datetime]:
    """A clock stopped at a demo history's date, for the actions that replay it."""
    at = _at(when)
    return lambda: at


def load_demo_projects(session: Session) -> Counter[str]:
    """Projects in every stage with dated histories, and a rollout. Needs load_demo first.

    Every proposal, rollout and move is replayed through the workflow actions, as the first demo
    person the policy lets make it (else the admin), on a clock set to the date in
    demo_projects.toml: history, audit rows and notifications come out as in real use. The mail
    those actions queue is marked `withheld` (never claimed, so never sent): demo addresses are
    not real people.
    """
    from matchmaker.actions import workflow
    from matchmaker.policies import Permission, can
    from models import OutboxEmail, Project

    created: Counter[str] = Counter()
    existing = set(session.scalars(select(Project.title)))
    challenge_keys = {c["key"]: (c["municipality"], c["title"]) for c in demo_challenges()}
    technology_keys = {t["key"]: (o["name"], t["title"]) for o in demo_organizations() for t in o.get("technology", [])}
    challenges = {(c.municipality.name, c.title): c for c in session.scalars(select(Challenge))}
    technologies = {(t.organization.name, t.title): t for t in session.scalars(select(Technology))}
    users = list(session.scalars(select(User).where(User.role != Role.ADMIN, User.is_active.is_(True)).order_by(User.id)))
    admin = next(u for u in session.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)))

    def mover(name: str, project: Project) -> User:
        """The first demo person the workflow's own rules let make this move."""
        return next((u for u in users if can(u, Permission.PROJECT_MOVE, (project, workflow.MOVES[name]))), admin)

    def withhold_mail() -> None:
        for mail in [m for m in session.new if isinstance(m, OutboxEmail)]:
            mail.status, mail.last_error = "withheld", "demo data from seeding; never sent"

    def replay(project: Project, record: dict, moves: list[list[str]]) -> None:
        pilot, kpis = record.get("pilot") or {}, record.get("kpis", [])
        for name, when, *rest in moves:
            comment = rest[0] if rest else ""
            data = workflow.MoveInput(expected_version=None, comment=comment)
            if name == "request_pilot":
                data.scope, data.months = pilot["scope"], pilot["months"]
                data.data_handling, data.cost_yen, data.funding = pilot["data_handling"], pilot["cost_yen"], pilot["funding"]
                data.kpis = [{"name": k["name"], "unit": k.get("unit", ""), "baseline": k["baseline"],
                              "target": k["target"]} for k in kpis]
            elif name == "approve_pilot":
                data.checklist = sorted(workflow.APPROVAL_CHECKLIST)
            elif name == "start_pilot":
                data.start_date = _at(when).date()
            elif name == "evaluate":
                results = {k["name"]: k.get("result") for k in kpis}
                data.comment = record.get("evaluation", comment)
                data.kpi_results = {k.id: results.get(k.name) for k in project.kpis}
            elif name == "implement":
                data.contract_type, data.start_date = record["contract"]["type"], record["contract"]["start"]
            workflow.make_move(session, project.id, name, data, actor=mover(name, project), now=_clock(when))
            withhold_mail()

    document = next(_read_toml("demo_projects.toml"))
    by_title: dict[str, Project] = {p.title: p for p in session.scalars(select(Project))}
    for record in document["project"]:
        if record["title"] in existing:
            continue
        project_challenges = [challenges[challenge_keys[k]] for k in record["challenges"]]
        project_technologies = [technologies[technology_keys[k]] for k in record["technologies"]]
        (first, when, *_), later = record["moves"][0], record["moves"][1:]
        assert first == "propose", f"{record['title']}: a demo project starts with a proposal"
        lead = project_technologies[0].organization_id
        proposer = next((u for u in users if u.organization_id == lead and can(u, Permission.PROJECT_PROPOSE)), admin)
        project = workflow.propose(session, actor=proposer, challenge_ids=[c.id for c in project_challenges],
                                   technology_ids=[t.id for t in project_technologies], title=record["title"],
                                   summary=record.get("summary", ""), now=_clock(when))
        withhold_mail()
        replay(project, record, later)
        by_title[project.title] = project
        created["projects"] += 1
    for record in document.get("rollout", []):
        origin = by_title[record["origin"]]
        targets = list(session.scalars(select(Municipality).where(Municipality.name.in_(record["municipalities"]))))
        if workflow.rollout_title(origin.title, [m.name for m in targets]) in existing:
            continue
        (first, when, *_), later = record["moves"][0], record["moves"][1:]
        assert first == "rollout", f"{origin.title}: a demo rollout starts with the rollout"
        starter = next((u for u in users if can(u, Permission.PROJECT_ROLLOUT, origin)), admin)
        project = workflow.start_rollout(session, origin.id, actor=starter, municipality_ids=[m.id for m in targets],
                                         pattern=record["pattern"], summary=record["summary"],
                                         comment=record.get("comment", ""),
                                         now=_clock(when))
        withhold_mail()
        replay(project, record, later)
        created["projects"] += 1
    session.flush()
    from .events import load_demo_events  # the events present demo issues and record demo proposals

    created.update(load_demo_events(session))
    return created
