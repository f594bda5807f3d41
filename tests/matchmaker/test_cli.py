import pytest
from sqlalchemy import func, select

from models import AuditEvent, Role, User


def _invoke(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def test_create_user_creates_an_officer_with_a_hashed_password(app, db_session) -> None:
    result = _invoke(app, "create-user", "--email", "Tanaka@Example.JP", "--role", "municipal_officer",
                     "--name", "田中", "--municipality", "271004", "--password", "correct-horse-1")

    user = db_session.scalar(select(User).where(User.email == "tanaka@example.jp"))
    assert result.exit_code == 0, result.output
    assert user is not None and user.role is Role.MUNICIPAL_OFFICER and user.municipality.name == "大阪市"
    assert "correct-horse-1" not in user.password_hash
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "user:create")) == 1


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--role", "mayor"], "Unknown role"),
        (["--role", "municipal_officer"], "municipality"),
        (["--role", "municipal_officer", "--municipality", "271001"], "Municipality not found"),
        (["--role", "company_member", "--organization", "存在しない株式会社"], "Organization not found"),
        (["--role", "coordinator", "--field", "space"], "Unknown field"),
    ],
    ids=["unknown-role", "missing-municipality", "unknown-municipality", "unknown-organization", "unknown-field"],
)
def test_bad_input_gets_a_one_line_error_and_exit_code_2(app, db_session, extra, expected) -> None:
    result = _invoke(app, "create-user", "--email", "x@example.jp", "--name", "X", "--password", "long-enough-1", *extra)

    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert expected.lower() in result.output.lower()
    assert "Traceback" not in result.output
    assert db_session.scalar(select(func.count(User.id))) == 0


def test_duplicate_email_is_refused_case_insensitively(app, db_session) -> None:
    _invoke(app, "create-user", "--email", "dup@example.jp", "--role", "admin", "--name", "A", "--password", "long-enough-1")

    result = _invoke(app, "create-user", "--email", "DUP@example.jp", "--role", "admin", "--name", "B",
                     "--password", "long-enough-1")

    assert result.exit_code == 2
    assert "already registered" in result.output
    assert db_session.scalar(select(func.count(User.id))) == 1


def test_short_password_is_refused(app) -> None:
    result = _invoke(app, "create-user", "--email", "a@example.jp", "--role", "admin", "--name", "A", "--password", "short")

    assert result.exit_code == 2
    assert "at least 10" in result.output


def test_seed_command_is_idempotent(app) -> None:
    first = _invoke(app, "seed")
    second = _invoke(app, "seed")

    assert first.exit_code == 0 and "technologies" in first.output
    assert second.output.strip() == "seeded: nothing new"
