"""projects and workflow

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:54:50.299147
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox_emails',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=254), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_emails'))
    )
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_emails_sent_at'), ['sent_at'], unique=False)

    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('stage', sa.Enum('proposed', 'accepted', 'declined', 'pilot_requested', 'pilot_approved', 'pilot_rejected', 'in_pilot', 'evaluated', 'implemented', 'withdrawn', 'cancelled', name='stage', native_enum=False, create_constraint=True, length=30), nullable=False, comment='changed only by workflow actions, each move recorded in project_stage_changes'),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('lead_organization_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('origin_project_id', sa.Integer(), nullable=True, comment='for a rollout (横展開): the implemented project it comes from'),
    sa.Column('rollout_pattern', sa.Enum('as_is', 'adapted', 'joint_order', 'prefecture_wide', name='rolloutpattern', native_enum=False, create_constraint=True, length=30), nullable=True),
    sa.Column('pilot_scope', sa.Text(), nullable=False),
    sa.Column('pilot_months', sa.Integer(), nullable=True),
    sa.Column('pilot_data_handling', sa.Text(), nullable=False),
    sa.Column('pilot_cost_yen', sa.Integer(), nullable=True),
    sa.Column('pilot_funding', sa.String(length=200), nullable=False),
    sa.Column('pilot_started_on', sa.Date(), nullable=True),
    sa.Column('evaluation_summary', sa.Text(), nullable=False),
    sa.Column('contract_type', sa.Enum('proposal', 'negotiated', 'joint', name='contracttype', native_enum=False, create_constraint=True, length=30), nullable=True),
    sa.Column('implementation_start', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False, comment='optimistic lock: a stale form or a second approval is refused'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_projects_created_by_id_users')),
    sa.ForeignKeyConstraint(['lead_organization_id'], ['organizations.id'], name=op.f('fk_projects_lead_organization_id_organizations')),
    sa.ForeignKeyConstraint(['origin_project_id'], ['projects.id'], name=op.f('fk_projects_origin_project_id_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_origin_project_id'), ['origin_project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_stage'), ['stage'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_notifications_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notifications_user_id'), ['user_id'], unique=False)

    op.create_table('project_challenges',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_project_challenges_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_challenges_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'challenge_id', name=op.f('pk_project_challenges'))
    )
    op.create_table('project_kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('baseline', sa.Double(), nullable=False),
    sa.Column('target', sa.Double(), nullable=False),
    sa.Column('result', sa.Double(), nullable=True, comment='recorded at evaluation'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_kpis_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_kpis'))
    )
    with op.batch_alter_table('project_kpis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_kpis_project_id'), ['project_id'], unique=False)

    op.create_table('project_municipalities',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_project_municipalities_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_municipalities_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'municipality_id', name=op.f('pk_project_municipalities'))
    )
    op.create_table('project_organizations',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_project_organizations_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_organizations_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'organization_id', name=op.f('pk_project_organizations'))
    )
    op.create_table('project_stage_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('move', sa.String(length=30), nullable=False),
    sa.Column('from_stage', sa.Enum('proposed', 'accepted', 'declined', 'pilot_requested', 'pilot_approved', 'pilot_rejected', 'in_pilot', 'evaluated', 'implemented', 'withdrawn', 'cancelled', name='from_stage', native_enum=False, create_constraint=True, length=30), nullable=True),
    sa.Column('to_stage', sa.Enum('proposed', 'accepted', 'declined', 'pilot_requested', 'pilot_approved', 'pilot_rejected', 'in_pilot', 'evaluated', 'implemented', 'withdrawn', 'cancelled', name='to_stage', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True, comment='e.g. the approval checklist'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_project_stage_changes_actor_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_stage_changes_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_stage_changes'))
    )
    with op.batch_alter_table('project_stage_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_stage_changes_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_stage_changes_project_id'), ['project_id'], unique=False)

    op.create_table('project_technologies',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_technologies_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_project_technologies_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'technology_id', name=op.f('pk_project_technologies'))
    )


def downgrade() -> None:
    op.drop_table('project_technologies')
    with op.batch_alter_table('project_stage_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_stage_changes_project_id'))
        batch_op.drop_index(batch_op.f('ix_project_stage_changes_at'))

    op.drop_table('project_stage_changes')
    op.drop_table('project_organizations')
    op.drop_table('project_municipalities')
    with op.batch_alter_table('project_kpis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_kpis_project_id'))

    op.drop_table('project_kpis')
    op.drop_table('project_challenges')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_user_id'))

    op.drop_table('notifications')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_projects_stage'))
        batch_op.drop_index(batch_op.f('ix_projects_origin_project_id'))

    op.drop_table('projects')
    with op.batch_alter_table('outbox_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_emails_sent_at'))

    op.drop_table('outbox_emails')
