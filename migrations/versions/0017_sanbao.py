"""三包 ledger: dated rule sets, the episodes of work orders, the alerts that fired

Revision ID: 0017_sanbao
Revises: 0016_diary
Create Date: 2026-12-06 22:30:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0017_sanbao'
down_revision = '0016_diary'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'sanbao_rule_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=True),
        sa.Column('warranty_years', sa.Integer(), nullable=False),
        sa.Column('warranty_km', sa.Integer(), nullable=False),
        sa.Column('period_years', sa.Integer(), nullable=False),
        sa.Column('period_km', sa.Integer(), nullable=False),
        sa.Column('substitute_after_days', sa.Integer(), nullable=False),
        sa.Column('max_repair_days', sa.Integer(), nullable=False),
        sa.Column('max_same_problem', sa.Integer(), nullable=False),
        sa.Column('max_safety_repairs', sa.Integer(), nullable=False),
        sa.Column('max_replacements', sa.Integer(), nullable=False),
        sa.Column('warn_substitute_days', sa.Integer(), nullable=False),
        sa.Column('warn_repair_days', sa.Integer(), nullable=False),
        sa.Column('warn_same_problem', sa.Integer(), nullable=False),
        sa.Column('warn_safety_repairs', sa.Integer(), nullable=False),
        sa.Column('warn_replacements', sa.Integer(), nullable=False),
        sa.Column('assemblies', JSON, nullable=False),
        sa.Column('component_systems', JSON, nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('updated_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_sanbao_rule_sets_store_id_stores')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sanbao_rule_sets')),
        sa.UniqueConstraint('code', 'store_id', name=op.f('uq_sanbao_rule_sets_code_store_id')),
    )
    op.create_index(op.f('ix_sanbao_rule_sets_store_id'), 'sanbao_rule_sets', ['store_id'], unique=False)
    op.create_index('uq_sanbao_rule_sets_group_code', 'sanbao_rule_sets', ['code'], unique=True,
                    postgresql_where=sa.text('store_id IS NULL'), sqlite_where=sa.text('store_id IS NULL'))
    op.create_table(
        'sanbao_episodes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('work_order_id', sa.Integer(), nullable=False),
        sa.Column('vehicle_id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('quality', sa.Boolean(), nullable=False),
        sa.Column('system', sa.String(length=24), nullable=True),
        sa.Column('fault_code', sa.String(length=32), nullable=True),
        sa.Column('problem_key', sa.String(length=80), nullable=True),
        sa.Column('serious_safety', sa.Boolean(), nullable=False),
        sa.Column('replacement', sa.String(length=12), nullable=False),
        sa.Column('component', sa.String(length=120), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('confirmed_at', TS, nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('updated_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_sanbao_episodes_confirmed_by_id_users')),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_sanbao_episodes_store_id_stores')),
        sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_sanbao_episodes_vehicle_id_vehicles')),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], ondelete='CASCADE',
                                name=op.f('fk_sanbao_episodes_work_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sanbao_episodes')),
        sa.UniqueConstraint('work_order_id', name=op.f('uq_sanbao_episodes_work_order_id')),
    )
    op.create_index(op.f('ix_sanbao_episodes_store_id'), 'sanbao_episodes', ['store_id'], unique=False)
    op.create_index(op.f('ix_sanbao_episodes_vehicle_id'), 'sanbao_episodes', ['vehicle_id'], unique=False)
    op.create_table(
        'sanbao_alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vehicle_id', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=False),
        sa.Column('condition', sa.String(length=20), nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('level', sa.String(length=12), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('limit', sa.Integer(), nullable=False),
        sa.Column('work_order_id', sa.Integer(), nullable=True),
        sa.Column('fired_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_sanbao_alerts_store_id_stores')),
        sa.ForeignKeyConstraint(['vehicle_id'], ['vehicles.id'], name=op.f('fk_sanbao_alerts_vehicle_id_vehicles')),
        sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], ondelete='SET NULL',
                                name=op.f('fk_sanbao_alerts_work_order_id_work_orders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sanbao_alerts')),
        sa.UniqueConstraint('vehicle_id', 'condition', 'key', 'level', name=op.f('uq_sanbao_alerts_vehicle_id_condition_key_level')),
    )
    op.create_index(op.f('ix_sanbao_alerts_store_id'), 'sanbao_alerts', ['store_id'], unique=False)
    op.create_index(op.f('ix_sanbao_alerts_vehicle_id'), 'sanbao_alerts', ['vehicle_id'], unique=False)


def downgrade():
    op.drop_table('sanbao_alerts')
    op.drop_table('sanbao_episodes')
    op.drop_table('sanbao_rule_sets')
