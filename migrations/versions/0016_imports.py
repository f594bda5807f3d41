"""spreadsheet imports: external keys per owner, staged uploads

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # add_column is an ALTER in place on SQLite too: no table copy (which, with foreign keys on,
    # would cascade-delete the issues' field links when the old table is dropped).
    with op.batch_alter_table('challenges') as batch:
        batch.add_column(sa.Column('external_key', sa.String(length=64), nullable=True,
                                   comment="the row's key in the municipality's own spreadsheet: re-importing updates, never duplicates"))
    op.create_index('ix_challenges_external_key', 'challenges', ['municipality_id', 'external_key'], unique=True)
    with op.batch_alter_table('technologies') as batch:
        batch.add_column(sa.Column('external_key', sa.String(length=64), nullable=True,
                                   comment="the row's key in the company's own catalogue: re-importing updates, never duplicates"))
    op.create_index('ix_technologies_external_key', 'technologies', ['organization_id', 'external_key'], unique=True)
    op.create_table('staged_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False, comment='challenges or technologies'),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False, comment='of the uploaded bytes; the commit form names it'),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('seen', sa.JSON(), nullable=True,
              comment='per line, the id and version of the row the preview showed: a later edit is a conflict'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_staged_imports_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_imports'))
    )
    with op.batch_alter_table('staged_imports') as batch:
        batch.create_index(batch.f('ix_staged_imports_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    op.drop_table('staged_imports')
    op.drop_index('ix_technologies_external_key', table_name='technologies')
    op.drop_index('ix_challenges_external_key', table_name='challenges')
    with op.batch_alter_table('technologies') as batch:
        batch.drop_column('external_key')
    with op.batch_alter_table('challenges') as batch:
        batch.drop_column('external_key')
