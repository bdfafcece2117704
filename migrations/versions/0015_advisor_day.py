"""advisor's day: agreed delays of the promised completion time; spare tyre, tool kit and key
tag on the check-in sheet, the finished car's parking spot (work orders); the QC inspector and
the information clerk roles (users)

Revision ID: 0015_advisor_day
Revises: 0014_photo_meta
Create Date: 2026-12-06 21:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0015_advisor_day'
down_revision = '0014_photo_meta'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
OLD_ROLES = "role in ('customer_relations','advisor','workshop','manager','admin')"
NEW_ROLES = "role in ('customer_relations','advisor','workshop','qc_inspector','info_clerk','manager','admin')"


def _roles(check):
    # the users' role check names the roles: the QC inspector and the information clerk join them
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role'), check)


def upgrade():
    _roles(NEW_ROLES)
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promise_revisions', JSON, nullable=True))
        batch_op.add_column(sa.Column('spare_tyre_present', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('tool_kit_present', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('key_tag', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('parking_spot', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_column('parking_spot')
        batch_op.drop_column('key_tag')
        batch_op.drop_column('tool_kit_present')
        batch_op.drop_column('spare_tyre_present')
        batch_op.drop_column('promise_revisions')
    _roles(OLD_ROLES)
