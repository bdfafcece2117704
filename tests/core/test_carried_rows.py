"""A creation's own timeline event and SLA clocks ride in its numbering statement
(`numbering.assign_writing_rows`, the fast path; the ORM path writes the same rows),
the configuration epoch is read once per request by its own query, and a case read for an action
brings its customer and assignee in the same query (`get_or_404`).

The ORM objects must come out as if the ORM had flushed them: persistent, with the ids of their rows,
nothing left to write; gone from the session again if the transaction rolls back."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from claimdesk import jobs
from claimdesk.complaints import services as complaint_services
from claimdesk.complaints.models import Complaint
from claimdesk.core import events, uow
from claimdesk.core.clock import now, set_now
from claimdesk.core.models import CaseEvent
from claimdesk.core.workflow import action_performed
from claimdesk.extensions import db
from claimdesk.messaging.models import Message
from claimdesk.sla.models import SlaClock
from claimdesk.sla.scheduling import fire_job_id
from tests.core.test_workflow import WF, Widget
from tests.factories import CustomerFactory

HARNESS = ("SAVEPOINT", "RELEASE", "ROLLBACK TO")


@pytest.fixture
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(HARNESS):
            seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def _rows(model, ids):
    """The rows as stored, read past the session's identity map."""
    table = model.__table__
    return {r["id"]: r for r in db.session.execute(sa.select(table).where(table.c.id.in_(ids))).mappings()}


def _written_as_flushed(obj):
    state = sa.inspect(obj)
    return state.persistent and obj not in db.session.new and obj not in db.session.dirty


def test_a_new_complaint_s_event_and_clocks_are_its_rows_with_their_ids(clerk):
    customer = CustomerFactory(store=clerk.store)
    uow.commit()
    deadline = now() + timedelta(minutes=40)
    created = []

    def seen(sender, event=None, **_kw):
        created.append(event)

    action_performed.connect(seen)
    try:
        complaint = complaint_services.open_complaint(clerk, {
            "customer_id": customer.id, "channel": "regulator", "category": "waiting_time",
            "description": "Waited two hours.", "deadline_at": deadline})
    finally:
        action_performed.disconnect(seen)
    pending = [o for o in db.session.new if isinstance(o, (CaseEvent, SlaClock))]
    assert not pending  # nothing of the creation is left for a later flush
    clocks = [o for o in db.session.identity_map.values() if isinstance(o, SlaClock)]
    assert sorted(c.policy_key for c in clocks) == ["complaint.first_response", "complaint.resolution"]
    assert len(created) == 1 and created[0].action == "create"
    assert all(_written_as_flushed(o) for o in [*clocks, *created])

    stored = _rows(SlaClock, [c.id for c in clocks])
    for clock in clocks:
        row = stored[clock.id]
        for key in ("case_type", "case_id", "store_id", "policy_key", "policy_version_id", "generation",
                    "state", "calendar", "target_seconds", "warn_seconds", "started_at", "running_since",
                    "warn_at", "due_at", "escalate_at", "next_fire_at", "consumed_seconds", "updated_at"):
            assert row[key] == getattr(clock, key), (clock.policy_key, key)
    resolution = next(c for c in clocks if c.policy_key == "complaint.resolution")
    # the regulator's deadline, not the policy's target
    assert abs((resolution.due_at - deadline).total_seconds()) < 1
    event = created[0]
    row = _rows(CaseEvent, [event.id])[event.id]
    assert (row["case_id"], row["action"], row["to_state"], row["data"]) == \
        (complaint.id, "create", "listen", event.data)
    assert row["data"]["channel"] == "regulator"

    uow.commit()
    # after the commit they behave like any flushed object: expired, reloaded from their own rows
    assert resolution.policy_key == "complaint.resolution" and event.case_id == complaint.id
    # the SLA job of the clock due within the hour was scheduled under the clock's real id
    scheduled = jobs.get_queue("sla").scheduled_job_registry.get_job_ids()
    assert fire_job_id(resolution.id, 1, resolution.next_fire_at) in scheduled


@pytest.mark.parametrize("listed", [True, False])
def test_several_rows_keep_their_order_and_get_their_own_ids(store, advisor, listed):
    """Rows a receiver lists in `ctx.new_rows` ride in the numbering statement; unlisted ones of the same
    class send the whole class through the ORM flush. Either way ids follow the order of recording."""
    Widget.__table__.create(bind=db.session.connection())
    customer = CustomerFactory(store=store)
    notes = []

    def more(sender, case=None, action=None, context=None, **_kw):
        if action.name == "create":
            notes.extend(events.record(case, kind="note", action=f"note-{i}", actor=advisor, data={"i": i})
                         for i in range(5))
            if listed:
                context.new_rows.extend(notes)

    action_performed.connect(more, sender=WF)
    try:
        w = Widget(store_id=store.id, customer_id=customer.id, state="new")
        created = WF.start(w, advisor, {"size": 3})
    finally:
        action_performed.disconnect(more, sender=WF)
    ordered = [created, *notes]
    assert all(_written_as_flushed(e) for e in ordered)
    assert [e.id for e in ordered] == sorted(e.id for e in ordered)  # ids in the order they were recorded
    stored = _rows(CaseEvent, [e.id for e in ordered])
    assert [(stored[e.id]["action"], stored[e.id]["data"].get("i")) for e in ordered] == \
        [("create", None)] + [(f"note-{i}", i) for i in range(5)]
    assert [e.action for e in events.timeline("widget", w.id)] == ["create"] + [f"note-{i}" for i in range(5)]


@pytest.mark.postgres
def test_the_fast_path_and_the_orm_path_write_the_same_rows(app, clerk, statements, monkeypatch):
    """The same creation through `numbering.assign_writing_rows` (CREATION_FAST_PATH) and through the
    ORM flush + `numbering.assign`: the case, its event and its clocks equal column for column."""
    customer = CustomerFactory(store=clerk.store)
    uow.commit()
    set_now(datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc))
    deadline = now() + timedelta(hours=30)

    def create(fast: bool):
        monkeypatch.setitem(app.config, "CREATION_FAST_PATH", fast)
        statements.clear()
        complaint = complaint_services.open_complaint(clerk, {
            "customer_id": customer.id, "channel": "regulator", "category": "waiting_time",
            "description": "Waited two hours.", "deadline_at": deadline})
        uow.commit()
        return complaint.id, list(statements)

    create(True)  # the store's calendar and policies are kept from now on: no read (and autoflush) between
    fast_id, fast_sql = create(True)
    orm_id, orm_sql = create(False)
    # the two paths did run: one statement with the rows, then the ORM's INSERTs and a bare numbering
    numbering_fast = [s for s in fast_sql if s.startswith("WITH counter")]
    assert len(numbering_fast) == 1 and "INSERT INTO case_events" in numbering_fast[0] \
        and "INSERT INTO sla_clocks" in numbering_fast[0] and "INSERT INTO messages" in numbering_fast[0]
    assert not [s for s in fast_sql if s.startswith(("INSERT INTO case_events", "INSERT INTO sla_clocks",
                                                     "INSERT INTO messages"))]
    assert [s for s in orm_sql if s.startswith("INSERT INTO case_events")]
    assert [s for s in orm_sql if s.startswith("INSERT INTO sla_clocks")]
    numbering_orm = [s for s in orm_sql if s.startswith("WITH counter")]
    assert len(numbering_orm) == 1 and "case_events" not in numbering_orm[0] and "sla_clocks" not in numbering_orm[0]

    def rows(table, where):
        return [dict(r) for r in db.session.execute(sa.select(table).where(where).order_by(table.c.id)).mappings()]

    cases = Complaint.__table__
    fast_case, orm_case = rows(cases, cases.c.id == fast_id), rows(cases, cases.c.id == orm_id)
    assert [fast_case[0]["number"][-6:], orm_case[0]["number"][-6:]] == ["000002", "000003"]
    for col in cases.c.keys():
        if col not in ("id", "number"):
            assert fast_case[0][col] == orm_case[0][col], col
    for model in (CaseEvent, SlaClock, Message):
        table = model.__table__
        fast = rows(table, sa.and_(table.c.case_type == "complaint", table.c.case_id == fast_id))
        orm = rows(table, sa.and_(table.c.case_type == "complaint", table.c.case_id == orm_id))
        assert len(fast) == len(orm) > 0, model
        for f, o in zip(fast, orm):
            assert (f["case_id"], o["case_id"]) == (fast_id, orm_id)
            for col in table.c.keys():
                if col not in ("id", "case_id", "dedupe_key"):  # the message's dedupe key names its case
                    assert f[col] == o[col], (model.__name__, col, f[col], o[col])


def test_carried_rows_leave_the_session_when_their_transaction_rolls_back(store, advisor):
    Widget.__table__.create(bind=db.session.connection())
    customer = CustomerFactory(store=store)
    uow.commit()

    def start():
        w = Widget(store_id=store.id, customer_id=customer.id, state="new")
        return w, WF.start(w, advisor)

    _w, lost = start()
    uow.rollback()
    assert lost not in db.session and sa.inspect(lost).transient

    # written in a savepoint that is rolled back: gone; the outer transaction goes on
    kept_case, kept = start()
    savepoint = db.session.begin_nested()
    _w, inner = start()
    savepoint.rollback()
    assert inner not in db.session and sa.inspect(inner).transient
    assert kept in db.session and sa.inspect(kept).persistent
    # written in a savepoint that was released, then an unrelated savepoint rolls back: kept
    savepoint = db.session.begin_nested()
    _w, released = start()
    savepoint.commit()
    db.session.begin_nested().rollback()
    assert sa.inspect(released).persistent and sa.inspect(kept).persistent
    uow.commit()
    assert _rows(CaseEvent, [kept.id, released.id]).keys() == {kept.id, released.id}
    assert db.session.get(Widget, kept_case.id).number.endswith("-000001")


def test_the_epoch_is_read_once_by_its_own_query(api_as, clerk, statements):
    customer = CustomerFactory(store=clerk.store)
    api = api_as(clerk)
    statements.clear()
    resp = api.post("/api/v1/complaints", {"customer_id": customer.id, "channel": "phone",
                                           "category": "waiting_time", "description": "Waited."})
    assert resp.status_code == 201, resp.json
    epoch_reads = [s for s in statements if "sla_config_state" in s]
    assert len(epoch_reads) == 1 and epoch_reads[0] == "SELECT epoch FROM sla_config_state WHERE id = 1"
    assert "sla_config_state" not in next(s for s in statements if "api_tokens" in s)


@pytest.mark.postgres
def test_a_complaint_creation_is_five_statements_on_postgresql(api_as, clerk, statements):
    """token, customer, the complaint's INSERT, the epoch, then event + clocks + the "complaint received"
    message's draft + number in one."""
    customer = CustomerFactory(store=clerk.store)
    api = api_as(clerk)
    body = {"customer_id": customer.id, "channel": "phone", "category": "waiting_time",
            "description": "Waited."}
    assert api.post("/api/v1/complaints", body).status_code == 201  # the store's calendar is now kept
    db.session.expunge_all()  # a request of its own starts with an empty session
    statements.clear()
    resp = api.post("/api/v1/complaints", body)
    assert resp.status_code == 201, resp.json
    assert len(statements) == 5, "\n".join(statements)
    assert statements[0].startswith("SELECT api_tokens.id")
    assert statements[2].startswith("INSERT INTO complaints")
    assert statements[3] == "SELECT epoch FROM sla_config_state WHERE id = 1"
    last = statements[4]
    assert last.startswith("WITH counter AS") and "INSERT INTO case_events" in last \
        and "INSERT INTO sla_clocks" in last and "INSERT INTO messages" in last \
        and "UPDATE complaints SET number" in last


@pytest.mark.postgres
def test_an_action_reads_its_case_with_customer_and_assignee_in_one_query(api_as, clerk, statements):
    customer = CustomerFactory(store=clerk.store)
    api = api_as(clerk)
    created = api.post("/api/v1/complaints", {"customer_id": customer.id, "channel": "phone",
                                              "category": "waiting_time", "description": "Waited."})
    assert created.status_code == 201
    name = customer.name
    db.session.expunge_all()
    statements.clear()
    resp = api.action("complaints", created.json["id"], "listen", account="Two hours past the promise.",
                      met_where="phone")
    assert resp.status_code == 200, resp.json
    assert resp.json["customer_name"] == name  # the response still has what the relationships give
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 4, reads  # the epoch: the action starts a clock
    assert "FROM api_tokens" in reads[0] and "FROM complaints" in reads[1] and "FROM sla_clocks" in reads[2]
    assert reads[3] == "SELECT epoch FROM sla_config_state WHERE id = 1"
    assert "JOIN customers" in reads[1] and "JOIN users" in reads[1] and "FOR UPDATE OF complaints" in reads[1]
    assert not [s for s in statements if "sla_pauses" in s]  # the first-response clock was never paused
