"""outbox rows keep a kind and parameters, rendered by the delivery job for their recipient

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 06:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows written before keep their rendered text in subject and body and are sent as they are.
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('locale', sa.String(length=5), nullable=True,
                                      comment="the recipient's language when written"))
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_outbox_emails_project_id_projects'), 'projects', ['project_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.alter_column('subject', existing_type=sa.String(length=200), server_default='')
        batch_op.alter_column('body', existing_type=sa.Text(), server_default='')


def downgrade() -> None:
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.Text(), server_default=None)
        batch_op.alter_column('subject', existing_type=sa.String(length=200), server_default=None)
        batch_op.drop_constraint(op.f('fk_outbox_emails_project_id_projects'), type_='foreignkey')
        batch_op.drop_column('project_id')
        batch_op.drop_column('locale')
        batch_op.drop_column('params')
        batch_op.drop_column('kind')
