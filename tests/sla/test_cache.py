"""sla/cache.py: calendars and current policy versions kept per configuration epoch."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.sla import cache, policies
from claimdesk.sla.models import SlaClock, SlaConfigState, SlaPolicyVersion


@pytest.fixture
def statements():
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", record)


def _epoch() -> int:
    return db.session.scalar(sa.select(SlaConfigState.epoch))


def test_a_second_transaction_reads_only_the_epoch(store, statements):
    sid = store.id
    uow.commit()
    first = policies.load_calendars([sid])[sid]
    versions = policies.current_versions(["complaint.resolution", "complaint.first_response"], sid)
    uow.commit()
    statements.clear()
    assert policies.load_calendars([sid])[sid] is first
    again = policies.current_versions(["complaint.first_response", "complaint.resolution"], sid)
    queries = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]  # the test harness's
    assert len(queries) == 1 and "sla_config_state" in queries[0]  # once per transaction
    assert {k: v.id for k, v in again.items()} == {k: v.id for k, v in versions.items()}
    # handed out as instances of this session, never a shared object
    assert all(v in db.session and isinstance(v, SlaPolicyVersion) for v in again.values())
    assert again["complaint.resolution"].target_seconds == versions["complaint.resolution"].target_seconds
    # clean, persistent instances: a flush writes nothing for them (and so changes no epoch)
    assert not db.session.dirty and not db.session.new
    statements.clear()
    db.session.flush()
    assert not [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]


def test_a_committed_calendar_edit_is_seen_by_the_next_transaction(store, manager):
    uow.commit()
    monday = date(2026, 3, 2)
    before = policies.load_calendars([store.id])[store.id]
    assert before.open_intervals(monday)
    uow.commit()
    epoch = _epoch()
    row = policies.calendar_for_edit(store, manager)
    policies.add_days(row, monday, None, "holiday", "Test holiday")
    uow.commit()
    assert _epoch() != epoch
    after = policies.load_calendars([store.id])[store.id]
    assert after is not before and after.open_intervals(monday) == []


def test_an_edit_is_seen_inside_its_own_transaction_and_forgotten_on_rollback(store, manager):
    uow.commit()
    monday = date(2026, 3, 2)
    assert policies.load_calendars([store.id])[store.id].open_intervals(monday)
    uow.commit()
    row = policies.calendar_for_edit(store, manager)
    policies.add_days(row, monday, None, "holiday", "Not yet")  # pending: not flushed
    assert policies.load_calendars([store.id])[store.id].open_intervals(monday) == []
    uow.rollback()
    assert policies.load_calendars([store.id])[store.id].open_intervals(monday)


def test_a_policy_change_is_used_by_the_next_transaction(store, manager):
    uow.commit()
    old = policies.current_versions(["complaint.resolution"], store.id)["complaint.resolution"]
    uow.commit()
    policies.update_policy("complaint.resolution", store.id, {"target_seconds": old.target_seconds + 3600}, manager)
    uow.commit()
    new = policies.current_versions(["complaint.resolution"], store.id)["complaint.resolution"]
    assert new.id != old.id and new.target_seconds == old.target_seconds + 3600 and new.store_id == store.id


def test_a_store_time_zone_change_is_seen(store):
    uow.commit()
    cal = policies.load_calendars([store.id])[store.id]
    uow.commit()
    store.timezone = "Asia/Urumqi"
    uow.commit()
    assert policies.load_calendars([store.id])[store.id].tz == "Asia/Urumqi" != cal.tz


def test_without_the_epoch_row_nothing_is_kept(store, statements):
    db.session.execute(sa.delete(SlaConfigState))
    uow.commit()
    policies.load_calendars([store.id])
    uow.commit()
    statements.clear()
    policies.load_calendars([store.id])
    assert any("sla_calendars" in s for s in statements)
    assert cache.get(("calendar", store.id)) is None


def test_clock_deadlines_follow_a_new_holiday(gadgets, store, customer, manager, t0):
    """Through the engine: a business-hours clock started after the edit skips the new holiday."""
    from tests.sla.casetype import open_gadget
    from tests.sla.factories import gadget_policies

    gadget_policies(calendar="business")
    uow.commit()

    def due(g):
        return db.session.scalar(sa.select(SlaClock.due_at).where(SlaClock.case_type == "gadget",
                                                                   SlaClock.case_id == g.id))

    first = open_gadget(store, customer, manager)
    uow.commit()
    row = policies.calendar_for_edit(store, manager)
    policies.add_days(row, t0.date(), None, "holiday", "Closed today")
    uow.commit()
    second = open_gadget(store, customer, manager)
    uow.commit()
    assert due(first).astimezone(t0.tzinfo).date() == t0.date()  # one business hour from Monday 09:00
    assert due(second).astimezone(t0.tzinfo).date() == t0.date() + timedelta(days=1)


def test_a_flushed_edit_after_a_read_is_seen_in_its_own_transaction(store, manager):
    """The epoch was read (and the calendar kept) before the edit: the edit's flush makes the transaction
    read the epoch again, which the edit changed (PostgreSQL: the trigger; SQLite: the ORM)."""
    uow.commit()
    monday = date(2026, 3, 2)
    assert policies.load_calendars([store.id])[store.id].open_intervals(monday)
    read = cache.epoch()
    row = policies.calendar_for_edit(store, manager)
    policies.add_days(row, monday, None, "holiday", "Flushed")
    db.session.flush()
    assert cache.epoch() != read
    assert policies.load_calendars([store.id])[store.id].open_intervals(monday) == []
    uow.rollback()
    assert policies.load_calendars([store.id])[store.id].open_intervals(monday)


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["sla_calendars", "sla_calendar_days", "sla_policies", "sla_policy_versions",
                                   "stores"])
def test_any_plain_sql_write_to_the_configuration_changes_the_epoch(store, table):
    """Statement-level: even a statement that changes no row (the trigger cannot tell a no-op edit)."""
    uow.commit()
    epoch = _epoch()
    db.session.execute(sa.text(f"UPDATE {table} SET id = id WHERE id = -1"))
    uow.commit()
    changed = _epoch()
    assert changed != epoch
    db.session.execute(sa.text(f"DELETE FROM {table} WHERE id = -1"))
    uow.commit()
    assert _epoch() not in (epoch, changed)
    db.session.execute(sa.text("UPDATE sla_clocks SET id = id WHERE id = -1"))  # not configuration
    uow.commit()
    assert _epoch() not in (epoch, changed)


@pytest.mark.postgres
def test_a_policy_changed_with_plain_sql_is_seen_by_the_next_request(api_as, clerk):
    from tests.factories import CustomerFactory

    customer = CustomerFactory(store=clerk.store)
    api = api_as(clerk)
    body = {"customer_id": customer.id, "channel": "phone", "category": "waiting_time", "description": "Waited."}

    def clock_of(case_id):
        return db.session.scalar(sa.select(SlaClock).where(
            SlaClock.case_type == "complaint", SlaClock.case_id == case_id,
            SlaClock.policy_key == "complaint.resolution"))

    first = api.post("/api/v1/complaints", body)  # reads the policy versions and keeps them
    assert first.status_code == 201, first.json
    before = clock_of(first.json["id"])
    target, version_id = before.target_seconds, before.policy_version_id
    uow.commit()
    db.session.execute(sa.text("UPDATE sla_policy_versions SET target_seconds = target_seconds + 3600 "
                               "WHERE id = :id"), {"id": version_id})
    uow.commit()
    db.session.expunge_all()  # the next request starts with an empty session, as in production
    second = api.post("/api/v1/complaints", body)
    assert second.status_code == 201, second.json
    after = clock_of(second.json["id"])
    assert (after.policy_version_id, after.target_seconds) == (version_id, target + 3600)
