"""notifications keep a kind and parameters, rendered in the reader's language

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before keep their text in `message` and are shown as they are.
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=40), server_default='', nullable=False,
                                      comment="what happened; rendered with params in the reader's language"))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.alter_column('message', existing_type=sa.Text(), server_default='',
                              comment='text of notifications stored before kind and params')


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.Text(), server_default=None, comment=None)
        batch_op.drop_column('params')
        batch_op.drop_column('kind')
