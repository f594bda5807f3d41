"""notification preferences, follows, digests, alerts; issue reconfirmation and technologies not offered

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 07:40:43.973560
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False, comment='challenge or technology'),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_tasks'))
    )
    with op.batch_alter_table('alert_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_tasks_done_at'), ['done_at'], unique=False)

    op.create_table('digest_runs',
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mails', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'key', name=op.f('pk_digest_runs'))
    )
    op.create_table('alert_receipts',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_receipts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_alert_receipts'))
    )
    op.create_table('follows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(field_id IS NULL) <> (municipality_id IS NULL)', name=op.f('ck_follows_one_target')),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_follows_field_id_fields'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_follows_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follows')),
    sa.UniqueConstraint('user_id', 'field_id', name='uq_follows_user_id_field_id'),
    sa.UniqueConstraint('user_id', 'municipality_id', name='uq_follows_user_id_municipality_id')
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follows_field_id'), ['field_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_follows_user_id'), ['user_id'], unique=False)

    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('delivery', sa.Enum('immediately', 'daily', 'weekly', 'never', name='delivery', native_enum=False, create_constraint=True, length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences'))
    )
    op.create_table('pending_digests',
    sa.Column('notification_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_pending_digests_notification_id_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_digests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('notification_id', name=op.f('pk_pending_digests'))
    )
    with op.batch_alter_table('pending_digests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_digests_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True, comment='when the officer last confirmed the issue is still open (publishing counts)'))

    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('offered', sa.Boolean(), server_default=sa.true(), nullable=False, comment='false: listed but not currently offered, so not matched or alerted'))



def downgrade() -> None:
    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.drop_column('offered')

    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')

    with op.batch_alter_table('pending_digests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_digests_user_id'))

    op.drop_table('pending_digests')
    op.drop_table('notification_preferences')
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follows_user_id'))
        batch_op.drop_index(batch_op.f('ix_follows_municipality_id'))
        batch_op.drop_index(batch_op.f('ix_follows_field_id'))

    op.drop_table('follows')
    op.drop_table('alert_receipts')
    op.drop_table('digest_runs')
    with op.batch_alter_table('alert_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_tasks_done_at'))

    op.drop_table('alert_tasks')
