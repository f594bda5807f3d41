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
