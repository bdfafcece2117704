"""step 6 · dashboard: read-side indexes on other domains' tables for the managers' aggregates (no tables)

Revision ID: 0006_dashboard
Revises: 0003_sla
Create Date: 2026-11-27 09:57:45.286083

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_dashboard'
down_revision = '0003_sla'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_dash_complaints_created', ['created_at'], unique=False)

    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_dash_sla_clocks_open', ['store_id', 'due_at'], unique=False, postgresql_where=sa.text('stopped_at IS NULL'), sqlite_where=sa.text('stopped_at IS NULL'))

    with op.batch_alter_table('sla_escalations', schema=None) as batch_op:
        batch_op.create_index('ix_dash_sla_escalations_fired', ['fired_at'], unique=False)

    with op.batch_alter_table('sla_facts', schema=None) as batch_op:
        batch_op.create_index('ix_dash_sla_facts_ended', ['ended_at'], unique=False, postgresql_include=['policy_key', 'store_id', 'holder_id', 'case_type', 'case_id', 'outcome', 'breached', 'elapsed_seconds', 'paused_seconds'])

    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_dash_work_orders_callbacks', ['followed_up_at'], unique=False, postgresql_where=sa.text('satisfaction IS NOT NULL'), sqlite_where=sa.text('satisfaction IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_work_orders_callbacks', postgresql_where=sa.text('satisfaction IS NOT NULL'), sqlite_where=sa.text('satisfaction IS NOT NULL'))

    with op.batch_alter_table('sla_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_sla_facts_ended', postgresql_include=['policy_key', 'store_id', 'holder_id', 'case_type', 'case_id', 'outcome', 'breached', 'elapsed_seconds', 'paused_seconds'])

    with op.batch_alter_table('sla_escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_sla_escalations_fired')

    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_sla_clocks_open', postgresql_where=sa.text('stopped_at IS NULL'), sqlite_where=sa.text('stopped_at IS NULL'))

    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_dash_complaints_created')

