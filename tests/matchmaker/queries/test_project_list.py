"""The project list is paged in SQL: a page holds at most PROJECTS_PER_PAGE rows."""

from __future__ import annotations

from matchmaker.queries import projects as reads
from models import Role
from tests import factories


def test_project_list_pages_in_sql(db_session) -> None:
    place = factories.municipality(db_session, "堺市")
    company = factories.make_organization(db_session)
    challenge = factories.make_challenge(db_session, place, field_keys=("elderly",))
    technology = factories.make_technology(db_session, company, field_keys=("elderly",))
    for n in range(reads.PROJECTS_PER_PAGE + 3):
        factories.make_project(db_session, challenge, technology, title=f"案件{n}")
    officer = factories.make_user(db_session, Role.MUNICIPAL_OFFICER, municipality=place)
    db_session.flush()

    first = reads.project_list(db_session, officer, page=1)
    second = reads.project_list(db_session, officer, page=2)

    assert len(first.items) == reads.PROJECTS_PER_PAGE and first.total == reads.PROJECTS_PER_PAGE + 3
    assert len(second.items) == 3 and not {p.id for p in first.items} & {p.id for p in second.items}
