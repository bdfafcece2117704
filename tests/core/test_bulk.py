"""Batch inserts without the ORM: the same rows as the ORM/Core path (defaults, JSON, NULLs), the
unique key's conflicts skipped, RETURNING only what went in; timeline events from `record_many`
equal to those from `record`."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from claimdesk.core import bulk, events
from claimdesk.core.models import CaseEvent
from claimdesk.extensions import db
from claimdesk.notifications.models import Notification


class _Case:
    CASE_TYPE = "complaint"

    def __init__(self, id_, store_id):
        self.id, self.store_id = id_, store_id


def test_insert_many_skips_conflicts_returns_new_rows_and_fills_defaults(store, advisor, manager):
    t = Notification.__table__
    rows = [{"user_id": uid, "kind": "sla.breach", "dedupe_key": "k1", "case_type": None, "case_id": None,
             "data": {"number": "CP-1", "nested": [1, "二"]}} for uid in (advisor.id, manager.id)]
    first = bulk.insert_many(t, rows, conflict=("user_id", "dedupe_key"), returning=("id", "user_id"))
    assert sorted(r.user_id for r in first) == sorted([advisor.id, manager.id])
    again = bulk.insert_many(t, rows + [{**rows[0], "dedupe_key": "k2"}], conflict=("user_id", "dedupe_key"),
                             returning=("id", "user_id"))
    assert [r.user_id for r in again] == [advisor.id]  # only the new key went in
    stored = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert len(stored) == 3
    assert all(n.data == {"number": "CP-1", "nested": [1, "二"]} for n in stored)
    assert all(n.created_at is not None and n.case_type is None and n.read_at is None for n in stored)
    assert bulk.insert_many(t, [], conflict=("user_id", "dedupe_key"), returning=("id",)) == []


def test_record_many_writes_what_record_writes(store):
    case = _Case(41, store.id)
    at = datetime(2026, 6, 1, 8, 30, tzinfo=timezone.utc)
    kw = {"kind": "escalation", "action": "sla_breached", "at": at,
          "data": {"timer": "complaint.follow_up", "due_at": at, "notified": ["王经理"], "late_seconds": 1.5}}
    one = events.record(case, **kw)
    db.session.flush()
    events.record_many([events.values(case, **kw), events.values(case, **{**kw, "action": "escalated"})])
    rows = db.session.scalars(sa.select(CaseEvent).order_by(CaseEvent.id)).all()
    assert [r.action for r in rows] == ["sla_breached", "sla_breached", "escalated"]
    cols = [c.key for c in CaseEvent.__table__.c if c.key != "id"]
    assert {k: getattr(rows[1], k) for k in cols} == {k: getattr(one, k) for k in cols}
    assert rows[1].data["due_at"] == at.isoformat() and rows[1].actor_id is None
