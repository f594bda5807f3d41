"""Demo events (seed/data/demo_events.toml), found by title and only created when missing."""

from __future__ import annotations

import tomllib
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker.jpinput import parse_datetime, parse_end, to_utc
from models import Challenge, ChallengeStatus, Event, EventKind, EventProposal, Project

from .loader import DATA_DIR, demo_challenges


def load_demo_events(session: Session) -> Counter[str]:
    """Two past events (each with a demo project proposed from it) and one to come. Needs the
    demo issues and projects first. No registrations: those are people's own choices."""
    created: Counter[str] = Counter()
    document = tomllib.loads((DATA_DIR / "demo_events.toml").read_text(encoding="utf-8"))
    existing = set(session.scalars(select(Event.title)))
    by_key = {c["key"]: (c["municipality"], c["title"]) for c in demo_challenges()}
    challenges = {(c.municipality.name, c.title): c for c in session.scalars(select(Challenge))}
    projects = {p.title: p for p in session.scalars(select(Project))}
    for record in document["event"]:
        if record["title"] in existing:
            continue
        start = parse_datetime(record["starts"])
        presented = [challenges[by_key[key]] for key in record["challenges"] if by_key[key] in challenges]
        event = Event(title=record["title"], kind=EventKind(record["kind"]), starts_at=to_utc(start),
                      ends_at=to_utc(parse_end(record["ends"], start)) if record.get("ends") else None,
                      place=record.get("place", ""), online_url=record.get("online_url", ""),
                      capacity=record["capacity"], registered_count=0, description=record.get("description", ""),
                      challenges=[c for c in presented if c.status is ChallengeStatus.OPEN])
        session.add(event)
        session.flush()
        for title in record.get("proposals", []):
            if title in projects:
                session.add(EventProposal(project_id=projects[title].id, event_id=event.id))
        created["events"] += 1
    session.flush()
    return created
