"""The demo events: two held (each with a demo project proposed from it), one to come; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Event, EventProposal, EventRegistration, Project
from seed.events import load_demo_events


def test_demo_events_present_demo_issues_and_record_demo_proposals(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    events = list(session.scalars(select(Event).order_by(Event.starts_at)))
    proposed_from = dict(session.execute(select(Project.title, EventProposal.event_id)
                                         .join(EventProposal, EventProposal.project_id == Project.id)).all())

    again = load_demo_events(session)

    assert [len(e.challenges) for e in events] == [3, 2, 3]
    assert proposed_from == {"AI電話による見守り登録者への定期声かけ": events[0].id,
                             "多言語AI観光案内チャットボット": events[1].id}
    assert sum(again.values()) == 0
    assert session.scalar(select(func.count(EventRegistration.id))) == 0
    session.close()
