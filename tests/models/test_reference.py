import pytest
from sqlalchemy import select

from models import InvalidLocalGovernmentCode, Municipality, validate_local_government_code
from seed.loader import _read_csv


@pytest.mark.parametrize("code", [row["code"] for row in _read_csv("municipalities.csv")])
def test_every_osaka_code_has_a_valid_check_digit(code: str) -> None:
    assert validate_local_government_code(code) == code


@pytest.mark.parametrize(
    "code",
    ["271005", "271400", "27100", "2710044", "27100a", "２７１００４", ""],
    ids=["wrong-check-digit", "wrong-check-digit-sakai", "five-digits", "seven-digits", "letter", "fullwidth", "empty"],
)
def test_invalid_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidLocalGovernmentCode):
        validate_local_government_code(code)


def test_model_refuses_a_municipality_with_a_wrong_check_digit() -> None:
    with pytest.raises(InvalidLocalGovernmentCode):
        Municipality(code="271001", name="架空市", reading="かくうし", name_en="Kaku", region="大阪市")


def test_reference_seed_has_exactly_43_municipalities_with_valid_codes(db_session) -> None:
    codes = list(db_session.scalars(select(Municipality.code)))
    assert len(codes) == 43
    assert all(validate_local_government_code(code) for code in codes)
