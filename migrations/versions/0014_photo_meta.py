"""photo meta: a check-in photo's panel and note are columns of its document row, filled from the
photo_added timeline events that held them until now

Revision ID: 0014_photo_meta
Revises: 0013_messaging
Create Date: 2026-12-06 21:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0014_photo_meta'
down_revision = '0013_messaging'
branch_labels = None
depends_on = None

_events = sa.table(
    'case_events',
    sa.column('id', sa.Integer), sa.column('case_type', sa.String), sa.column('case_id', sa.Integer),
    sa.column('action', sa.String), sa.column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')),
)
_documents = sa.table(
    'documents',
    sa.column('id', sa.Integer), sa.column('case_type', sa.String), sa.column('case_id', sa.Integer),
    sa.column('kind', sa.String), sa.column('panel', sa.String), sa.column('note', sa.String),
)


def _text(value, limit):
    """What the event held, as the column takes it: trimmed text, empty is none, cut to the column's size."""
    if value is None:
        return None
    value = str(value).strip()
    return value[:limit] or None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('panel', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=True))

    # Backfill from the timeline: every photo_added event of a work order names its document and carries
    # the panel and note given at upload (the last event wins should a document have several).
    conn = op.get_bind()
    rows = conn.execute(sa.select(_events.c.case_id, _events.c.data)
                        .where(_events.c.case_type == 'work_order', _events.c.action == 'photo_added')
                        .order_by(_events.c.id))
    meta = {}
    for case_id, data in rows:
        data = data or {}
        document_id = data.get('document_id')
        if isinstance(document_id, int):
            meta[document_id] = {'d_id': document_id, 'd_case_id': case_id,
                                 'd_panel': _text(data.get('panel'), 40), 'd_note': _text(data.get('note'), 500)}
    fills = [m for m in meta.values() if m['d_panel'] is not None or m['d_note'] is not None]
    if fills:
        conn.execute(
            _documents.update()
            .where(_documents.c.id == sa.bindparam('d_id'), _documents.c.case_id == sa.bindparam('d_case_id'),
                   _documents.c.case_type == 'work_order', _documents.c.kind == 'check_in_photo')
            .values(panel=sa.bindparam('d_panel'), note=sa.bindparam('d_note')),
            fills)


def downgrade():
    # the photo_added events still hold the panel and note: nothing is lost
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('panel')
