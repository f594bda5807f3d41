"""shortlists

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 06:38:16.810691
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shortlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_shortlist_entries_added_by_id_users')),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_shortlist_entries_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_shortlist_entries_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shortlist_entries')),
    sa.UniqueConstraint('challenge_id', 'technology_id', name='challenge_technology')
    )
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shortlist_entries_challenge_id'), ['challenge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shortlist_entries_technology_id'), ['technology_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('shortlist_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_technology_id'))
        batch_op.drop_index(batch_op.f('ix_shortlist_entries_challenge_id'))

    op.drop_table('shortlist_entries')
