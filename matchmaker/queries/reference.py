"""Reference data every form and filter offers: fields and municipalities."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Field, Municipality

REGIONS = ("大阪市", "北大阪", "東部大阪", "南河内", "泉州")


def all_fields(session: Session) -> list[Field]:
    return list(session.scalars(select(Field).order_by(Field.position)))


def all_municipalities(session: Session) -> list[Municipality]:
    return list(session.scalars(select(Municipality).order_by(Municipality.code)))


# A filter lists municipalities as options up to this many (Osaka's 43); beyond (1,741 nationwide)
# it asks for a name instead, matched through the names index (queries/catalogue.py), so a page
# does not carry every municipality of the country.
MUNICIPALITY_OPTIONS = 100


def municipality_options(session: Session) -> list[Municipality] | None:
    """The municipalities a list's filter offers as options; None when there are too many."""
    # One query whichever the answer (a page's query count does not depend on the data).
    found = list(session.scalars(select(Municipality).order_by(Municipality.code).limit(MUNICIPALITY_OPTIONS + 1)))
    return found if len(found) <= MUNICIPALITY_OPTIONS else None
