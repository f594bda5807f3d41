"""change feed: commit-ordered positions for catalogue changes, and the database identity

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 05:10:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    head = op.create_table('change_feed_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('database_id', sa.String(length=36), nullable=False, comment='changes when a backup is restored'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_feed_head'))
    )
    op.create_table('change_feed',
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('txn', sa.String(length=32), nullable=False, comment='random per committing transaction: tells timelines apart'),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_change_feed'))
    )
    # Records that exist before this revision are covered by the next refit (position 0).
    op.bulk_insert(head, [{'id': 1, 'position': 0, 'database_id': str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table('change_feed')
    op.drop_table('change_feed_head')
