"""invitations: an officer asks a company to propose for an issue

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'accepted', 'declined', name='invitation_status', native_enum=False, create_constraint=True, length=30), nullable=False, comment='pending until the company proposes (accepted) or declines; changed only by the invitation actions'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=False, comment="the company's reason when it declines"),
    sa.Column('project_id', sa.Integer(), nullable=True, comment='the proposal that accepted it'),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_invitations_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_invitations_project_id_projects'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['responded_by_id'], ['users.id'], name=op.f('fk_invitations_responded_by_id_users')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_invitations_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('challenge_id', 'technology_id', name='uq_invitations_challenge_technology')
    )
    op.create_index(op.f('ix_invitations_challenge_id'), 'invitations', ['challenge_id'], unique=False)
    op.create_index(op.f('ix_invitations_technology_id'), 'invitations', ['technology_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_invitations_technology_id'), table_name='invitations')
    op.drop_index(op.f('ix_invitations_challenge_id'), table_name='invitations')
    op.drop_table('invitations')
