from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from matchmaker.db import make_engine
from matchmaker.migrate import upgrade_database
from models import Base


def test_migrations_on_an_empty_database_match_the_models(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    upgrade_database(engine)

    with engine.connect() as connection:
        # The trigram search tables (migration 0017) are SQLite's FTS5, not mapped by the models.
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_name": lambda name, kind, _parents: not (
                kind == "table" and name is not None and "_fts" in name)})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_upgrading_twice_is_harmless(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'twice.sqlite3'}")
    upgrade_database(engine)
    upgrade_database(engine)

    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()

    assert revision is not None
