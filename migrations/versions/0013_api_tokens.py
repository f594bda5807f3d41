"""API tokens for the JSON API

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False, comment='what the owner uses it for'),
    sa.Column('token_hash', sa.String(length=64), nullable=False, comment='sha256 hex of the secret'),
    sa.Column('prefix', sa.String(length=16), nullable=False, comment="the secret's first characters, to recognise it"),
    sa.Column('scope', sa.Enum('read', 'write', name='tokenscope', native_enum=False, create_constraint=True, length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True, comment='a revoked token is refused'),
    sa.Column('rate_window', sa.Integer(), nullable=False, comment='the minute (epoch seconds // 60) being counted'),
    sa.Column('rate_count', sa.Integer(), nullable=False, comment='requests in that minute'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))
    op.drop_table('api_tokens')
