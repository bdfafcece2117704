"""core: idempotency keys — one row per (user, Idempotency-Key or one-time form token) holding the
first response, written in the same transaction as the request's effect; purged after 24 h.
sla: a partial index on the deadlines of running clocks (the dashboard counts their breaches)

Revision ID: 0011_idempotency
Revises: 0010_auth_sessions
Create Date: 2026-12-06 20:20:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql



# revision identifiers, used by Alembic.
revision = '0011_idempotency'
down_revision = '0010_auth_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('method_path', sa.String(length=400), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_headers', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_idempotency_keys_user_id_key'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)
    # dashboard: clocks still running that breached in a period, read by a range of deadlines
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.create_index('ix_sla_clocks_open_due', ['due_at'], unique=False,
                              postgresql_where=sa.text('stopped_at IS NULL'),
                              sqlite_where=sa.text('stopped_at IS NULL'))


def downgrade():
    with op.batch_alter_table('sla_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_sla_clocks_open_due', postgresql_where=sa.text('stopped_at IS NULL'),
                            sqlite_where=sa.text('stopped_at IS NULL'))
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))
    op.drop_table('idempotency_keys')
