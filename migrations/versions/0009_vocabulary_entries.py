"""synonym pairs coordinators add in the app

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vocabulary_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=60), nullable=False, comment='canonical term, NFKC'),
    sa.Column('variant', sa.String(length=60), nullable=False, comment='word that means the same, NFKC'),
    sa.Column('pair_key', sa.String(length=121), nullable=False, comment='unordered case-folded pair: one entry per pair'),
    sa.Column('reason', sa.Text(), nullable=False, comment='why the pair was added or last changed'),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False, comment='optimistic lock: a stale form is refused'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_vocabulary_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_vocabulary_entries_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vocabulary_entries')),
    sa.UniqueConstraint('pair_key', name=op.f('uq_vocabulary_entries_pair_key'))
    )


def downgrade() -> None:
    op.drop_table('vocabulary_entries')
