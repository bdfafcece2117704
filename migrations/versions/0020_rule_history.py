"""warranty brand rules: their change history (who, when, what changed)

Revision ID: 0020_rule_history
Revises: 0019_warranty
Create Date: 2026-12-07 02:40:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0020_rule_history'
down_revision = '0019_warranty'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('warranty_brand_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('history', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                                      nullable=True))


def downgrade():
    with op.batch_alter_table('warranty_brand_rules', schema=None) as batch_op:
        batch_op.drop_column('history')
