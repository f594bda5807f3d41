"""Forum events: everyone signed in sees them and may register while they are ahead; coordinators
and admins run them; after an event, a company proposes on the issues that were presented there.
"""

from __future__ import annotations

import datetime as dt

from models import Challenge, ChallengeStatus, Event, Technology, User, utcnow

from ..jpinput import aware
from . import catalogue


def has_started(event: Event, now: dt.datetime | None = None) -> bool:
    return aware(event.starts_at) <= (now or utcnow())


def can_register(_user: User, event: Event) -> bool:
    """Registration (and cancelling it) is open until the event starts."""
    return not has_started(event)


def can_propose_from(user: User, triple: tuple[Event, Challenge, Technology]) -> bool:
    """Once the event has started, on an open issue presented there, with one's own listed technology."""
    event, challenge, technology = triple
    return (has_started(event) and challenge.id in {c.id for c in event.challenges}
            and challenge.status is ChallengeStatus.OPEN and not technology.is_retired
            and catalogue.owns_technology(user, technology) and catalogue.can_view_challenge(user, challenge))
