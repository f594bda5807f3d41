"""initial schema: reference data, accounts, catalogue, audit

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 06:04:23.138860
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False, comment='stable key used in URLs and files'),
    sa.Column('name_ja', sa.String(length=40), nullable=False),
    sa.Column('name_en', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False, comment='display order'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fields')),
    sa.UniqueConstraint('key', name=op.f('uq_fields_key'))
    )
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_attempts_attempted_at'), ['attempted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_attempts_remote_addr'), ['remote_addr'], unique=False)

    op.create_table('municipalities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=False, comment='全国地方公共団体コード with its check digit'),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('reading', sa.String(length=80), nullable=False),
    sa.Column('name_en', sa.String(length=80), nullable=False),
    sa.Column('region', sa.String(length=20), nullable=False, comment='大阪市, 北大阪, 東部大阪, 南河内, 泉州'),
    sa.CheckConstraint('length(code) = 6', name=op.f('ck_municipalities_code_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_municipalities')),
    sa.UniqueConstraint('code', name=op.f('uq_municipalities_code')),
    sa.UniqueConstraint('name', name=op.f('uq_municipalities_name'))
    )
    op.create_table('organizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_kana', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('company', 'university', 'economic_body', 'municipal_office', 'civic_tech', name='organizationkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('member_category', sa.Enum('corporate', 'individual', 'special_supporting', 'supporting', name='membercategory', native_enum=False, create_constraint=True, length=30), nullable=False, comment='OSPF 会員種別'),
    sa.Column('membership_status', sa.Enum('pending', 'approved', 'rejected', name='membershipstatus', native_enum=False, create_constraint=True, length=30), nullable=False, comment='applications stay pending until a coordinator or admin approves them'),
    sa.Column('website', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('contact_phone', sa.String(length=40), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True, comment='head office location, if in Osaka Prefecture'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_organizations_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('name', name=op.f('uq_organizations_name'))
    )
    op.create_table('technologies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('maturity', sa.Enum('concept', 'piloted', 'in_service', name='maturity', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('price_band', sa.Enum('free', 'under_1m', '1m_5m', '5m_20m', 'over_20m', 'on_request', name='priceband', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('is_retired', sa.Boolean(), nullable=False, comment='retired technologies are no longer matched'),
    sa.Column('version', sa.Integer(), nullable=False, comment='optimistic lock: a stale form is refused'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_technologies_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technologies'))
    )
    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technologies_organization_id'), ['organization_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False, comment='stored normalised: NFKC, lower case'),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('role', sa.Enum('municipal_officer', 'company_member', 'coordinator', 'admin', name='role', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False, comment='bumped on logout and password change to end every session server-side'),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_users_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True, comment='null for system actions such as seeding'),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False, comment='verb, e.g. challenge:create'),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False, comment='target group or area'),
    sa.Column('budget_range', sa.Enum('undecided', 'under_1m', '1m_5m', '5m_20m', 'over_20m', name='budgetrange', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('desired_start', sa.Date(), nullable=True),
    sa.Column('available_data', sa.Text(), nullable=False, comment='data the municipality can provide'),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='challengestatus', native_enum=False, create_constraint=True, length=30), nullable=False, comment='only open issues are matched and shown to companies'),
    sa.Column('version', sa.Integer(), nullable=False, comment='optimistic lock: a stale form is refused'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_challenges_author_id_users')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_challenges_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_challenges'))
    )
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_challenges_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_challenges_status'), ['status'], unique=False)

    op.create_table('coordinator_fields',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_coordinator_fields_field_id_fields'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coordinator_fields_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'field_id', name=op.f('pk_coordinator_fields'))
    )
    op.create_table('technology_deployments',
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_technology_deployments_municipality_id_municipalities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_technology_deployments_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technology_id', 'municipality_id', name=op.f('pk_technology_deployments')),
    comment='municipalities where the technology is already in service'
    )
    op.create_table('technology_fields',
    sa.Column('technology_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_technology_fields_field_id_fields'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_technology_fields_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technology_id', 'field_id', name=op.f('pk_technology_fields'))
    )
    op.create_table('challenge_fields',
    sa.Column('challenge_id', sa.Integer(), nullable=False),
    sa.Column('field_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['challenges.id'], name=op.f('fk_challenge_fields_challenge_id_challenges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_challenge_fields_field_id_fields'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('challenge_id', 'field_id', name=op.f('pk_challenge_fields'))
    )


def downgrade() -> None:
    op.drop_table('challenge_fields')
    op.drop_table('technology_fields')
    op.drop_table('technology_deployments')
    op.drop_table('coordinator_fields')
    with op.batch_alter_table('challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_challenges_status'))
        batch_op.drop_index(batch_op.f('ix_challenges_municipality_id'))

    op.drop_table('challenges')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))

    op.drop_table('audit_events')
    op.drop_table('users')
    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technologies_organization_id'))

    op.drop_table('technologies')
    op.drop_table('organizations')
    op.drop_table('municipalities')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_attempts_remote_addr'))
        batch_op.drop_index(batch_op.f('ix_login_attempts_email'))
        batch_op.drop_index(batch_op.f('ix_login_attempts_attempted_at'))

    op.drop_table('login_attempts')
    op.drop_table('fields')
