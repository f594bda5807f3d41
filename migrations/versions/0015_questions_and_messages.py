"""questions on issues (with a Q&A deadline) and messages with attachments inside projects

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('project_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_project_messages_author_id_users')),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_messages_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_messages'))
    )
    op.create_index(op.f('ix_project_messages_project_id'), 'project_messages', ['project_id'], unique=False)
    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False, comment="the asker's organisation, which always sees it"),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_private', sa.Boolean(), nullable=False, comment='kept from other companies even when answered'),
    sa.Column('private_reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False, comment='optimistic lock: two answers at once, one is refused'),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_questions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_questions_asked_by_id_users')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_questions_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_questions_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    op.create_index(op.f('ix_questions_challenge_id'), 'questions', ['challenge_id'], unique=False)
    op.create_index(op.f('ix_questions_organization_id'), 'questions', ['organization_id'], unique=False)
    op.create_table('message_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False, comment="from the allow-list by type, never the sender's claim"),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['project_messages.id'], name=op.f('fk_message_attachments_message_id_project_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachments'))
    )
    op.create_index(op.f('ix_message_attachments_message_id'), 'message_attachments', ['message_id'], unique=False)
    op.add_column('challenges', sa.Column('qa_deadline', sa.Date(), nullable=True, comment='last day (Japan time) to ask questions'))


def downgrade() -> None:
    with op.batch_alter_table('challenges') as batch:
        batch.drop_column('qa_deadline')
    op.drop_index(op.f('ix_message_attachments_message_id'), table_name='message_attachments')
    op.drop_table('message_attachments')
    op.drop_index(op.f('ix_questions_organization_id'), table_name='questions')
    op.drop_index(op.f('ix_questions_challenge_id'), table_name='questions')
    op.drop_table('questions')
    op.drop_index(op.f('ix_project_messages_project_id'), table_name='project_messages')
    op.drop_table('project_messages')
