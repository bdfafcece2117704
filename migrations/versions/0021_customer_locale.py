"""the customer's message language: contact_preferences.locale (zh by default)

Revision ID: 0021_customer_locale
Revises: 0020_rule_history
Create Date: 2026-12-07 02:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0021_customer_locale'
down_revision = '0020_rule_history'
branch_labels = None
depends_on = None


def upgrade():
    # every customer so far was written to in Chinese: existing rows get "zh"
    with op.batch_alter_table('contact_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=False, server_default='zh'))


def downgrade():
    with op.batch_alter_table('contact_preferences', schema=None) as batch_op:
        batch_op.drop_column('locale')
