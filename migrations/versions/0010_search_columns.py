"""search columns on issues and technologies: folded text and analyser tokens

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_COLUMNS = (
    ('search_title', 'title, NFKC and case folded (matchmaker/search.py)'),
    ('search_text', 'all text, NFKC and case folded'),
    ('search_tokens', 'analyser tokens before synonyms, space-delimited'),
)
_SOURCES = {'challenges': ('title', 'description', 'target'), 'technologies': ('title', 'description')}


def upgrade() -> None:
    for table in _SOURCES:
        with op.batch_alter_table(table) as batch:
            for name, comment in _COLUMNS:
                batch.add_column(sa.Column(name, sa.Text(), server_default='', nullable=False, comment=comment))
    # Existing rows are indexed once here; later writes are indexed by a session hook.
    from matchmaker.search import search_columns

    connection = op.get_bind()
    for table, sources in _SOURCES.items():
        rows = connection.execute(sa.text(f"SELECT id, {', '.join(sources)} FROM {table}")).all()
        for row in rows:
            values = search_columns(*(value or '' for value in row[1:]))
            connection.execute(sa.text(
                f"UPDATE {table} SET search_title = :search_title, search_text = :search_text, "
                "search_tokens = :search_tokens WHERE id = :id"), {**values, 'id': row[0]})


def downgrade() -> None:
    for table in _SOURCES:
        with op.batch_alter_table(table) as batch:
            for name, _ in _COLUMNS:
                batch.drop_column(name)
