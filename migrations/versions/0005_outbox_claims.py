"""outbox claims: a status per mail, claimed before sending, retried with backoff

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_emails_status'), ['status'], unique=False)
    outbox = sa.table('outbox_emails', sa.column('status', sa.String), sa.column('sent_at', sa.DateTime),
                      sa.column('attempts', sa.Integer))
    op.execute(outbox.update().where(outbox.c.sent_at.is_not(None)).values(status='sent'))
    op.execute(outbox.update().where(outbox.c.sent_at.is_(None), outbox.c.attempts >= 5).values(status='failed'))


def downgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_emails_status'))
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('status')
