"""On SQLite the search asks the trigram tables (migration 0017) for candidate rows first: the
results must be exactly those of checking every row, after inserts, edits and deletes (the
tables follow the catalogue through triggers)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from matchmaker.queries import catalogue as reads
from models import Role, Technology, User
from tests import factories

QUERIES = ["高齢者", "見守り", "みまもり", "センサー", "バス", "観光案内", "lpwa", "LPWA", "iot", "sensor", "防災 避難",
           "子育て 相談", "100%", "a_b", "デマンド交通", "電力データ", "株式会社", "toyonaka バス", "豊中", "オンデマンド"]


def _results(session, actor, monkeypatch, indexed: bool) -> dict[tuple[str, str, int], list[int]]:
    monkeypatch.setattr(reads, "_trigram_table", lambda _session: indexed)
    found = {}
    for query in QUERIES:
        for kind, listing in (("challenges", reads.challenge_list), ("technologies", reads.technology_list)):
            for page in (1, 2):
                found[kind, query, page] = [row.id for row in listing(session, actor, {"q": query}, page).items]
    return found


@pytest.mark.sqlite
def test_searching_through_the_trigram_tables_finds_what_checking_every_row_finds(demo_app, monkeypatch) -> None:
    with demo_app.app_context():
        session = demo_app.extensions["sqlalchemy_sessionmaker"]()
        # The tables follow inserts, edits and deletes.
        place = factories.municipality(session, "豊中市")
        company = factories.make_organization(session)
        added = factories.make_technology(session, company, title="高齢者の見守りセンサー LPWA 100%対応",
                                          description="バスの運行と防災・避難の案内")
        factories.make_challenge(session, place, title="子育て相談の窓口をオンデマンドに", description="a_b 観光案内")
        edited = session.scalars(select(Technology).order_by(Technology.id)).first()
        edited.description = "電力データで高齢者を見守る"
        session.execute(delete(Technology).where(Technology.id == session.scalar(select(func.max(Technology.id))
                                                                                  .where(Technology.id < added.id))))
        session.commit()
        admin = session.scalar(select(User).where(User.role == Role.ADMIN))

        checked = _results(session, admin, monkeypatch, indexed=False)
        looked_up = _results(session, admin, monkeypatch, indexed=True)
        session.close()

    assert looked_up == checked
    assert sum(bool(ids) for ids in checked.values()) >= len(QUERIES)  # the queries find things
    assert added.id in checked["technologies", "見守り", 1] and edited.id in checked["technologies", "電力データ", 1]


@pytest.mark.sqlite
def test_a_long_enough_word_is_looked_up_in_the_trigram_table_and_a_short_one_is_not(demo_app) -> None:
    """Equal results alone would also hold without the tables: this shows they are asked."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement)

    engine = demo_app.extensions["sqlalchemy_engine"]
    with demo_app.app_context():
        session = demo_app.extensions["sqlalchemy_sessionmaker"]()
        admin = session.scalar(select(User).where(User.role == Role.ADMIN))
        event.listen(engine, "before_cursor_execute", record)
        try:
            reads.technology_list(session, admin, {"q": "観光案内"}, 1)
            long_word = [s for s in statements if "technologies_fts" in s]
            statements.clear()
            reads.technology_list(session, admin, {"q": "バス"}, 1)  # two characters: no trigram
            short_word = [s for s in statements if "technologies_fts" in s]
        finally:
            event.remove(engine, "before_cursor_execute", record)
            session.close()

    assert long_word and not short_word
