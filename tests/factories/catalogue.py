from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import Challenge, ChallengeStatus, Municipality, Organization, Technology

from .reference import field


def make_challenge(session: Session, municipality: Municipality, *, title: str = "駅前の放置自転車",
                   field_keys: tuple[str, ...] = ("mobility",), status: ChallengeStatus = ChallengeStatus.OPEN,
                   **values: Any) -> Challenge:
    challenge = Challenge(municipality=municipality, title=title,
                          description=values.pop("description", f"{title}の課題です。"), status=status,
                          fields=[field(session, key) for key in field_keys], **values)
    session.add(challenge)
    session.flush()
    return challenge


def make_technology(session: Session, organization: Organization, *, title: str = "放置自転車の自動検知",
                    field_keys: tuple[str, ...] = ("mobility",), **values: Any) -> Technology:
    technology = Technology(organization=organization, title=title,
                            description=values.pop("description", f"{title}の技術です。"),
                            fields=[field(session, key) for key in field_keys], **values)
    session.add(technology)
    session.flush()
    return technology
