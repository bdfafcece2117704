"""step 8 · sla: the configuration epoch (one row), changed by every write of calendars, policies or stores,
so processes can cache the calendars and current policy versions they read

Revision ID: 0008_sla_config_epoch
Revises: 0007_dashboard_rollups
Create Date: 2026-11-27 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_sla_config_epoch'
down_revision = '0007_dashboard_rollups'
branch_labels = None
depends_on = None


def upgrade():
    state = op.create_table('sla_config_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_config_state'))
    )
    op.bulk_insert(state, [{'id': 1, 'epoch': 1}])


def downgrade():
    op.drop_table('sla_config_state')
