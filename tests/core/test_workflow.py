"""The case engine, on a small case type defined here (its table lives only inside the test)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields
from sqlalchemy.orm import Mapped, mapped_column

from claimdesk.cases.actions import common_actions
from claimdesk.core import events, numbering, uow
from claimdesk.core.errors import Conflict, Forbidden, GateBlocked, NotFound, ValidationFailed
from claimdesk.core.models import CaseCounter, CaseEvent, CaseMixin
from claimdesk.core.workflow import Action, Workflow, action_performed
from claimdesk.extensions import db
from tests.factories import CustomerFactory


class Widget(CaseMixin, db.Model):
    __tablename__ = "test_widgets"
    CASE_TYPE = "widget"
    NUMBER_PREFIX = "WG"
    size: Mapped[int | None] = mapped_column()


class GrowIn(Schema):
    size = fields.Integer(required=True)


def _grow(case, data, ctx):
    case.size = data["size"]
    ctx.event_data["grown"] = True


def _must_be_big(case, data, ctx):
    if data["size"] < 10:
        raise GateBlocked("big_enough", "cannot finish: the widget is smaller than 10")


def _boom(case, data, ctx):
    case.size = 999
    raise RuntimeError("handler failed half way")


WF = Workflow("widget", Widget, ["new", "grown", "done"], {"done"}, [
    Action("grow", ("new",), "grown", roles=frozenset({"advisor"}), schema=GrowIn, handler=_grow,
           starts=("widget.finish",)),
    Action("finish", ("grown",), "done", roles=frozenset({"advisor"}), schema=GrowIn, guards=(_must_be_big,),
           stops=("widget.finish",)),
    Action("explode", ("new",), "done", roles=frozenset({"advisor"}), handler=_boom),
    *common_actions(frozenset({"advisor"})),
], initial="new")


@pytest.fixture
def widget(store, advisor):
    Widget.__table__.create(bind=db.session.connection())
    customer = CustomerFactory(store=store)
    w = Widget(store_id=store.id, customer_id=customer.id, number=numbering.next_number(store.id, "WG", 2026),
               state="new")
    WF.start(w, advisor)
    uow.commit()
    return w


def test_happy_action_moves_state_writes_event_and_signals(widget, advisor):
    seen = []

    def listener(sender, **kw):
        seen.append((kw["action"].name, kw["action"].starts, kw["event"].to_state))

    action_performed.connect(listener)
    try:
        v0 = widget.version
        event = WF.perform(widget, "grow", {"size": 3}, advisor)
        uow.commit()
    finally:
        action_performed.disconnect(listener)
    assert widget.state == "grown" and widget.size == 3
    assert widget.version == v0 + 1
    assert event.from_state == "new" and event.to_state == "grown"
    assert event.data == {"size": 3, "grown": True}
    assert seen == [("grow", ("widget.finish",), "grown")]
    line = events.timeline("widget", widget.id)
    assert [e.action for e in line] == ["create", "grow"]


def test_wrong_state_is_409_and_changes_nothing(widget, advisor):
    with pytest.raises(Conflict) as err:
        WF.perform(widget, "finish", {"size": 20}, advisor)
    assert err.value.code == "invalid_state"
    uow.rollback()
    assert widget.state == "new"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)
                             .where(CaseEvent.case_type == "widget")) == 1


def test_role_not_allowed_is_403(widget, workshop):
    with pytest.raises(Forbidden):
        WF.perform(widget, "grow", {"size": 1}, workshop)


def test_managers_may_run_any_action(widget, manager):
    WF.perform(widget, "grow", {"size": 1}, manager)
    assert widget.state == "grown"


def test_validation_error_lists_fields(widget, advisor):
    with pytest.raises(ValidationFailed) as err:
        WF.perform(widget, "grow", {"size": "many"}, advisor)
    assert "size" in err.value.fields


def test_gate_is_named(widget, advisor):
    WF.perform(widget, "grow", {"size": 1}, advisor)
    with pytest.raises(GateBlocked) as err:
        WF.perform(widget, "finish", {"size": 5}, advisor)
    assert err.value.gate == "big_enough" and "smaller than 10" in err.value.message


def test_version_conflict(widget, advisor):
    with pytest.raises(Conflict) as err:
        WF.perform(widget, "grow", {"size": 1, "version": widget.version + 5}, advisor)
    assert err.value.code == "version_conflict"
    WF.perform(widget, "grow", {"size": 1, "version": widget.version}, advisor)
    assert widget.state == "grown"


def test_failed_handler_rolls_back_everything(widget, advisor):
    with pytest.raises(RuntimeError):
        WF.perform(widget, "explode", {}, advisor)
    uow.rollback()
    db.session.refresh(widget)
    assert widget.state == "new" and widget.size is None
    assert [e.action for e in events.timeline("widget", widget.id)] == ["create"]


def test_unknown_action_is_404(widget, advisor):
    with pytest.raises(NotFound):
        WF.perform(widget, "fly", {}, advisor)


def test_final_state_stamps_closed_at_and_blocks_common_actions(widget, advisor):
    WF.perform(widget, "grow", {"size": 11}, advisor)
    WF.perform(widget, "finish", {"size": 11}, advisor)
    assert widget.state == "done" and widget.closed_at is not None
    with pytest.raises(Conflict):
        WF.perform(widget, "note", {"text": "late"}, advisor)


def test_common_actions(widget, advisor, make_user, other_store):
    colleague = make_user("advisor", username="colleague")
    stranger = make_user("advisor", username="stranger", store=other_store)
    WF.perform(widget, "assign", {"assignee_id": colleague.id}, advisor)
    assert widget.assignee_id == colleague.id
    with pytest.raises(ValidationFailed):
        WF.perform(widget, "assign", {"assignee_id": stranger.id}, advisor)
    WF.perform(widget, "pause", {"reason": "waiting_customer"}, advisor)
    assert widget.pause_reason == "waiting_customer"
    with pytest.raises(Conflict):
        WF.perform(widget, "pause", {"reason": "waiting_parts"}, advisor)
    with pytest.raises(ValidationFailed):
        WF.perform(widget, "pause", {"reason": "coffee"}, advisor)
    ev = WF.perform(widget, "resume", {}, advisor)
    assert widget.pause_reason is None and ev.data["reason"] == "waiting_customer"
    note = WF.perform(widget, "note", {"text": "called, no answer", "visibility": "customer"}, advisor)
    assert note.kind == "note" and note.visibility == "customer" and note.from_state == note.to_state
    with pytest.raises(Conflict):  # nothing escalated yet
        WF.perform(widget, "acknowledge", {}, advisor)
    widget.escalation_level = 1
    WF.perform(widget, "acknowledge", {}, advisor)
    assert widget.escalation_acknowledged_by_id == advisor.id and widget.assignee_id == advisor.id


def test_numbers_are_sequential_per_store_prefix_and_year(store, other_store):
    assert numbering.next_number(store.id, "WG", 2026) == "WG-2026-000001"
    assert numbering.next_number(store.id, "WG", 2026) == "WG-2026-000002"
    assert numbering.next_number(other_store.id, "WG", 2026) == "WG-2026-000001"
    assert numbering.next_number(store.id, "WG", 2027) == "WG-2027-000001"
    assert numbering.next_number(store.id, "CP", 2026) == "CP-2026-000001"


def test_a_case_without_a_number_takes_it_last_in_its_creation(store, advisor):
    """WF.start writes a provisional number, then the counter upsert is the creation's last statement."""
    Widget.__table__.create(bind=db.session.connection())
    customer = CustomerFactory(store=store)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        first = Widget(store_id=store.id, customer_id=customer.id, state="new")
        WF.start(first, advisor, {"size": 1})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert first.number == f"WG-{first.created_at.year}-000001"
    counter = [i for i, s in enumerate(statements) if "case_counters" in s]
    inserts = [i for i, s in enumerate(statements) if s.lstrip().upper().startswith("INSERT")
               and "case_counters" not in s]
    assert len(counter) == 1 and inserts and counter[0] > max(inserts)  # after the case, event and clocks
    assert "UPDATE test_widgets" in " ".join(statements[counter[0]:])
    # the number went in with the statement: nothing left for the ORM to write or to reload
    assert db.session.scalar(sa.select(Widget.number).where(Widget.id == first.id)) == first.number
    assert first not in db.session.dirty
    second = Widget(store_id=store.id, customer_id=customer.id, state="new")
    WF.start(second, advisor)
    assert second.number == f"WG-{second.created_at.year}-000002"
    assert numbering.is_provisional(numbering.provisional()) and not numbering.is_provisional(second.number)


def test_a_rolled_back_creation_gives_its_late_number_back(store, advisor):
    Widget.__table__.create(bind=db.session.connection())
    customer = CustomerFactory(store=store)
    uow.commit()
    lost = Widget(store_id=store.id, customer_id=customer.id, state="new")
    WF.start(lost, advisor)
    assert lost.number.endswith("-000001")
    uow.rollback()
    kept = Widget(store_id=store.id, customer_id=customer.id, state="new")
    WF.start(kept, advisor)
    assert kept.number.endswith("-000001")


def test_numbers_past_six_digits_keep_every_digit(store, advisor):
    Widget.__table__.create(bind=db.session.connection())
    customer = CustomerFactory(store=store)
    db.session.add(CaseCounter(store_id=store.id, prefix="WG", year=2026, last_value=1_234_566))
    at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    w = Widget(store_id=store.id, customer_id=customer.id, state="new", created_at=at, updated_at=at)
    WF.start(w, advisor)
    assert w.number == "WG-2026-1234567"


def test_system_actions_skip_the_role_check(widget):
    event = WF.perform(widget, "grow", {"size": 2}, None, system=True)
    assert event.actor_id is None and widget.state == "grown"


def test_implement_binds_handler_and_gates_to_a_declared_action():
    table = Workflow("gadget_t", Widget, ["open", "done"], {"done"}, [
        Action("finish", ("open",), "done", roles=frozenset({"advisor"}), schema=GrowIn),
    ], initial="open")
    table.implement(finish=(_grow, _must_be_big))
    assert table.actions["finish"].handler is _grow
    assert table.actions["finish"].guards == (_must_be_big,)
    with pytest.raises(ValueError, match="undeclared action"):
        table.implement(explode=_grow)


@pytest.mark.parametrize("case_type", ["work_order", "complaint", "claim"])
def test_every_case_action_is_implemented(app, case_type):
    """The tables declare, services.py binds (the shared actions come with theirs from cases.actions):
    an action left without a handler would move the case without doing its work."""
    from claimdesk.core.workflow import REGISTRY

    missing = [name for name, action in REGISTRY[case_type].actions.items() if action.handler is None]
    assert missing == []
