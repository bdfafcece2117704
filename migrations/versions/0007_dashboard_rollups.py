"""step 7 · dashboard: fold-maintained read copies of the SLA facts, their pauses by reason and the escalation
ledger (with the watermark table), and a partial index on acknowledged clocks

Revision ID: 0007_dashboard_rollups
Revises: 0006_dashboard
Create Date: 2026-11-27 10:28:35.213326

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_dashboard_rollups'
down_revision = '0006_dashboard'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dash_rollup_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('watermark', sa.BigInteger(), nullable=False),
    sa.Column('rows_folded', sa.BigInteger(), nullable=False),
    sa.Column('folded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_dash_rollup_state'))
    )
    op.create_table('dash_sla_escalations',
    sa.Column('escalation_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('escalation_id', name=op.f('pk_dash_sla_escalations'))
    )
    with op.batch_alter_table('dash_sla_escalations', schema=None) as batch_op:
        batch_op.create_index('ix_dash_sla_escalations_copy_fired', ['fired_at'], unique=False, postgresql_include=['escalation_id', 'store_id', 'case_type', 'level'])
        batch_op.create_index('ix_dash_sla_escalations_copy_store_fired', ['store_id', 'fired_at'], unique=False, postgresql_include=['escalation_id', 'case_type', 'level'])

    op.create_table('dash_sla_facts',
    sa.Column('fact_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('policy_key', sa.String(length=48), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=True),
    sa.Column('insurer_id', sa.Integer(), nullable=True),
    sa.Column('breached', sa.Boolean(), nullable=False),
    sa.Column('elapsed_seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('fact_id', name=op.f('pk_dash_sla_facts'))
    )
    with op.batch_alter_table('dash_sla_facts', schema=None) as batch_op:
        batch_op.create_index('ix_dash_sla_facts_copy_ended', ['ended_at'], unique=False, postgresql_include=['fact_id', 'store_id', 'case_type', 'policy_key', 'holder_id', 'insurer_id', 'breached', 'elapsed_seconds'])
        batch_op.create_index('ix_dash_sla_facts_copy_store_ended', ['store_id', 'ended_at'], unique=False, postgresql_include=['fact_id', 'case_type', 'policy_key', 'holder_id', 'insurer_id', 'breached', 'elapsed_seconds'])

    op.create_table('dash_sla_pauses',
    sa.Column('fact_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('policy_key', sa.String(length=48), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('fact_id', 'reason', name=op.f('pk_dash_sla_pauses'))
    )
    with op.batch_alter_table('dash_sla_pauses', schema=None) as batch_op:
        batch_op.create_index('ix_dash_sla_pauses_ended', ['ended_at'], unique=False, postgresql_include=['fact_id', 'store_id', 'case_type', 'policy_key', 'reason', 'seconds'])

    # complaints over time read category and channel from the index alone (PostgreSQL)
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_complaints_created')
        batch_op.create_index('ix_dash_complaints_created', ['created_at'], unique=False, postgresql_include=['store_id', 'category', 'channel'])

    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_dash_sla_clocks_acknowledged', ['acknowledged_at'], unique=False, postgresql_include=['store_id', 'case_type'], postgresql_where=sa.text('acknowledged_at IS NOT NULL'), sqlite_where=sa.text('acknowledged_at IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_complaints_created', postgresql_include=['store_id', 'category', 'channel'])
        batch_op.create_index('ix_dash_complaints_created', ['created_at'], unique=False)

    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_sla_clocks_acknowledged', postgresql_include=['store_id', 'case_type'], postgresql_where=sa.text('acknowledged_at IS NOT NULL'), sqlite_where=sa.text('acknowledged_at IS NOT NULL'))

    with op.batch_alter_table('dash_sla_pauses', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_sla_pauses_ended', postgresql_include=['fact_id', 'store_id', 'case_type', 'policy_key', 'reason', 'seconds'])

    op.drop_table('dash_sla_pauses')
    with op.batch_alter_table('dash_sla_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_sla_facts_copy_store_ended')
        batch_op.drop_index('ix_dash_sla_facts_copy_ended', postgresql_include=['fact_id', 'store_id', 'case_type', 'policy_key', 'holder_id', 'insurer_id', 'breached', 'elapsed_seconds'])

    op.drop_table('dash_sla_facts')
    with op.batch_alter_table('dash_sla_escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_sla_escalations_copy_store_fired')
        batch_op.drop_index('ix_dash_sla_escalations_copy_fired', postgresql_include=['escalation_id', 'store_id', 'case_type', 'level'])

    op.drop_table('dash_sla_escalations')
    op.drop_table('dash_rollup_state')
