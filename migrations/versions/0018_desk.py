"""front desk: the "not satisfied" mark of a follow-up call (work orders); the front-desk supervisor role
(users); the first free service (首保) entitlement: the lines it covers (work order lines) and its use
(vehicles)

Revision ID: 0018_desk
Revises: 0017_sanbao
Create Date: 2026-12-06 22:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_desk'
down_revision = '0017_sanbao'
branch_labels = None
depends_on = None

OLD_ROLES = "role in ('customer_relations','advisor','workshop','qc_inspector','info_clerk','manager','admin')"
NEW_ROLES = ("role in ('customer_relations','advisor','front_desk_supervisor','workshop','qc_inspector',"
             "'info_clerk','manager','admin')")


def _roles(check):
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), check)


def upgrade():
    _roles(NEW_ROLES)
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('not_satisfied', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('not_satisfied_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('work_order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('free_service', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_service_work_order_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('first_service_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('first_service_used_at', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('vehicles', schema=None) as batch_op:
        batch_op.drop_column('first_service_used_at')
        batch_op.drop_column('first_service_number')
        batch_op.drop_column('first_service_work_order_id')
    with op.batch_alter_table('work_order_lines', schema=None) as batch_op:
        batch_op.drop_column('free_service')
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('not_satisfied_reason')
        batch_op.drop_column('not_satisfied')
    _roles(OLD_ROLES)
