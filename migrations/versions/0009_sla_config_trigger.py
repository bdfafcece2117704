"""sla: on PostgreSQL a trigger changes the configuration epoch on any write to calendars, calendar days,
policies, policy versions or stores, so edits made with plain SQL are seen by every process's cache

Statement-level (one epoch change per statement, however many rows), AFTER INSERT, UPDATE, DELETE and
TRUNCATE. The new epoch is random, like the ones the ORM used to write (`sla/cache.py`): a rolled-back
edit leaves an epoch nobody will read again. SQLite keeps the ORM's bump (no trigger: batch-mode
migrations rebuild tables and would silently drop it).

Revision ID: 0009_sla_config_trigger
Revises: 0008_sla_config_epoch
Create Date: 2026-12-06 20:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_sla_config_trigger'
down_revision = '0008_sla_config_epoch'
branch_labels = None
depends_on = None

TABLES = ('sla_calendars', 'sla_calendar_days', 'sla_policies', 'sla_policy_versions', 'stores')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("""
        CREATE FUNCTION sla_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE sla_config_state SET epoch = 1 + floor(random() * 4611686018427387903)::bigint;
            RETURN NULL;
        END
        $$
    """)
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_sla_config_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION sla_config_changed()")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_sla_config_changed ON {table}")
    op.execute("DROP FUNCTION sla_config_changed()")
