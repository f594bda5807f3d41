"""Reference data: the municipalities of Osaka Prefecture and the OSPF fields."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from .base import Base

_CHECK_WEIGHTS = (6, 5, 4, 3, 2)

FIELD_KEYS = (
    "health", "elderly", "childcare", "mobility", "tourism", "manufacturing", "safety",
    "data", "admin_dx", "education", "finance", "agriculture", "environment",
)


class InvalidLocalGovernmentCode(ValueError):
    """A code that is not six digits or whose check digit does not match."""


def local_government_code_check_digit(first_five: str) -> int:
    """Check digit of a 全国地方公共団体コード: weights 6..2, (11 - sum mod 11) mod 10."""
    total = sum(int(digit) * weight for digit, weight in zip(first_five, _CHECK_WEIGHTS))
    return (11 - total % 11) % 10


def validate_local_government_code(code: str) -> str:
    """Return the code if valid.

    Raises InvalidLocalGovernmentCode when it is not six ASCII digits or the check digit is wrong.
    """
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise InvalidLocalGovernmentCode(f"not a 6-digit code: {code!r}")
    if local_government_code_check_digit(code[:5]) != int(code[5]):
        raise InvalidLocalGovernmentCode(f"check digit mismatch: {code!r}")
    return code


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(
        String(6), unique=True, comment="全国地方公共団体コード with its check digit"
    )
    name: Mapped[str] = mapped_column(String(40), unique=True)
    reading: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    region: Mapped[str] = mapped_column(String(20), comment="大阪市, 北大阪, 東部大阪, 南河内, 泉州")

    __table_args__ = (CheckConstraint("length(code) = 6", name="code_length"),)

    @validates("code")
    def _validate_code(self, _key: str, code: str) -> str:
        return validate_local_government_code(code)

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"


class Field(Base):
    __tablename__ = "fields"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(20), unique=True, comment="stable key used in URLs and files")
    name_ja: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(default=0, comment="display order")

    def __repr__(self) -> str:
        return f"<Field {self.key}>"
