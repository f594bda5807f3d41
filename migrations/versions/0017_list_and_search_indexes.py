"""list and search indexes: list pages from an index, text search through trigram indexes

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 11:20:00
"""

from __future__ import annotations

import logging

from alembic import op
from sqlalchemy.exc import DBAPIError

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# The search box matches substrings of the stored search columns (matchmaker/search.py). Without
# an index every search reads every row's text. SQLite: an FTS5 table with the trigram tokenizer
# over the two columns (external content, kept in step by triggers), which the search asks for
# candidate rows. PostgreSQL: pg_trgm GIN indexes, which LIKE '%…%' uses directly.
SEARCHED = ('challenges', 'technologies')
COLUMNS = ('search_text', 'search_tokens')


def upgrade() -> None:
    # The lists filter on status (issues) or retirement (technologies) and show the most recently
    # updated first: with these, a page (and the next page after a row, keyset) is an index range
    # scan instead of a sort of every row.
    op.create_index('ix_challenges_status_updated', 'challenges', ['status', 'updated_at', 'id'])
    # (Not led by is_retired: SQLite's planner, without statistics, would take that equality for a
    # narrow one and walk every listed technology instead of the search's trigram hits.)
    op.create_index('ix_technologies_updated', 'technologies', ['updated_at', 'id'])
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for table in SEARCHED:
            columns = ', '.join(COLUMNS)
            new = ', '.join(f'new.{c}' for c in COLUMNS)
            old = ', '.join(f'old.{c}' for c in COLUMNS)
            op.execute(f"CREATE VIRTUAL TABLE {table}_fts USING fts5({columns}, content='{table}', "
                       f"content_rowid='id', tokenize='trigram')")
            op.execute(f"CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN "
                       f"INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new}); END")
            op.execute(f"CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN "
                       f"INSERT INTO {table}_fts({table}_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); END")
            op.execute(f"CREATE TRIGGER {table}_fts_update AFTER UPDATE OF {columns} ON {table} BEGIN "
                       f"INSERT INTO {table}_fts({table}_fts, rowid, {columns}) VALUES ('delete', old.id, {old}); "
                       f"INSERT INTO {table}_fts(rowid, {columns}) VALUES (new.id, {new}); END")
            op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
    elif dialect == 'postgresql':
        # CREATE EXTENSION needs the CREATE right on the database (superuser before PostgreSQL 13)
        # and the contrib files. Without them the search still works, by scanning: the indexes
        # are only its speed, so a missing right must not stop the upgrade (a savepoint keeps the
        # migration's transaction usable after the refusal).
        try:
            with op.get_bind().begin_nested():
                op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        except DBAPIError as error:
            logging.getLogger('alembic').warning(
                'pg_trgm is not available (%s): text search will scan; install it and create the '
                'trigram indexes of migration 0017 by hand for speed', error.orig)
            return
        for table in SEARCHED:
            for column in COLUMNS:
                op.execute(f'CREATE INDEX {table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)')


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in SEARCHED:
        if dialect == 'sqlite':
            for trigger in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER IF EXISTS {table}_fts_{trigger}')
            op.execute(f'DROP TABLE IF EXISTS {table}_fts')
        elif dialect == 'postgresql':
            for column in COLUMNS:
                op.execute(f'DROP INDEX IF EXISTS {table}_{column}_trgm')
    op.drop_index('ix_technologies_updated', table_name='technologies')
    op.drop_index('ix_challenges_status_updated', table_name='challenges')
