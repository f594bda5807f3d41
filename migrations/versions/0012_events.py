"""events, registrations and proposals from events

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.Enum('meetup', 'working_group', name='eventkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False, comment='stored in UTC'),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True, comment='stored in UTC'),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('online_url', sa.String(length=500), nullable=False, comment='http or https only'),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('registered_count', sa.Integer(), server_default='0', nullable=False, comment='registrations holding a seat; raised only by a conditional UPDATE, so never past capacity'),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False, comment='optimistic lock: a stale form is refused'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint('capacity >= 1', name=op.f('ck_events_capacity_positive')),
    sa.CheckConstraint('registered_count >= 0 AND registered_count <= capacity', name=op.f('ck_events_registered_within_capacity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_events_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_starts_at'), ['starts_at'], unique=False)

    op.create_table('event_challenges',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_event_challenges_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_challenges_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'challenge_id', name=op.f('pk_event_challenges')),
    comment='issues presented at the event'
    )
    op.create_table('event_proposals',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_proposals_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_event_proposals_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', name=op.f('pk_event_proposals'))
    )
    with op.batch_alter_table('event_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_proposals_event_id'), ['event_id'], unique=False)

    op.create_table('event_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('registered', 'waitlisted', 'cancelled', name='registrationstatus', native_enum=False, create_constraint=True, length=30), nullable=False, comment='waitlisted people move up in order of waitlisted_at when a seat frees'),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('waitlisted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True, comment='set in the transaction that queues the reminder: each reminder once'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_registrations_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_event_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_registrations')),
    sa.UniqueConstraint('event_id', 'user_id', name=op.f('uq_event_registrations_event_id'))
    )
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_registrations_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_registrations_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('event_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_registrations_user_id'))
        batch_op.drop_index(batch_op.f('ix_event_registrations_event_id'))

    op.drop_table('event_registrations')
    with op.batch_alter_table('event_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_proposals_event_id'))

    op.drop_table('event_proposals')
    op.drop_table('event_challenges')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_starts_at'))

    op.drop_table('events')
