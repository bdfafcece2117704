"""settlement: adjustment lines and customer payments of work orders, goodwill payments of complaints,
the customer's consent on a claim's charge

Revision ID: 0012_settlement
Revises: 0011_idempotency
Create Date: 2026-12-06 20:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_settlement'
down_revision = '0011_idempotency'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('work_order_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('amount', sa.Numeric(14, 2), nullable=False),
    sa.Column('from_payer', sa.String(length=12), nullable=False),
    sa.Column('to_payer', sa.String(length=12), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('agreed_by', sa.String(length=120), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_work_order_adjustments_adjustment_amount_positive')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_work_order_adjustments_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_work_order_adjustments_created_by_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_adjustments_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_adjustments'))
    )
    with op.batch_alter_table('work_order_adjustments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_adjustments_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_adjustments_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('work_order_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(14, 2), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_work_order_payments_payment_amount_positive')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_work_order_payments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['work_order_id'], ['work_orders.id'], name=op.f('fk_work_order_payments_work_order_id_work_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_order_payments'))
    )
    with op.batch_alter_table('work_order_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_payments_work_order_id'), ['work_order_id'], unique=False)

    op.create_table('goodwill_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(14, 2), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_goodwill_payments_goodwill_amount_positive')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_goodwill_payments_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_goodwill_payments_created_by_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_goodwill_payments_customer_id_customers')),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_goodwill_payments_store_id_stores')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goodwill_payments'))
    )
    with op.batch_alter_table('goodwill_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goodwill_payments_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goodwill_payments_store_id'), ['store_id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_consent_by', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('customer_consent_by')
    with op.batch_alter_table('goodwill_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goodwill_payments_store_id'))
        batch_op.drop_index(batch_op.f('ix_goodwill_payments_complaint_id'))
    op.drop_table('goodwill_payments')
    with op.batch_alter_table('work_order_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_payments_work_order_id'))
    op.drop_table('work_order_payments')
    with op.batch_alter_table('work_order_adjustments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_adjustments_work_order_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_adjustments_complaint_id'))
    op.drop_table('work_order_adjustments')
