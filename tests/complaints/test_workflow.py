"""The complaint's state table through the engine: every action, every role, the reopen loop and
automatic escalation, closing gates, SLA declarations."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from claimdesk.complaints.models import Complaint
from claimdesk.complaints.workflow import WF
from claimdesk.core import clock, events, uow
from claimdesk.core.errors import Conflict, Forbidden, GateBlocked, ValidationFailed
from claimdesk.core.models import CaseEvent
from claimdesk.extensions import db
from tests.complaints.factories import open_complaint

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

LISTEN = {"account": "Brakes squeal since the last service; I came back twice.", "met_where": "meeting room"}
APOLOGISE = {"note": "Thanked her and apologised for the trouble."}
RESOLVE = {"attribution": "our_fault", "resolution": "Pads re-fitted, discs skimmed at our cost.",
           "root_cause": "Pads fitted without anti-squeal paste.", "cost_to_store": "380.00",
           "labour_waived": "200", "discount": "0", "compensation": "150.5", "customer_accepted": True}


def run(case, action, data, user, **kw):
    event = WF.perform(case, action, data, user, **kw)
    uow.commit()
    return event


def advance(case, user, to: str, follow_user=None):
    """Move a complaint forward to state `to` by the normal actions."""
    order = [("listen", LISTEN), ("apologise", APOLOGISE), ("resolve", RESOLVE)]
    for action, data in order:
        if case.state == to:
            return case
        run(case, action, data, user)
    if to == "closed":
        run(case, "follow_up", {"satisfied": True, "note": "Happy now."}, follow_user or user)
    assert case.state == to
    return case


@pytest.fixture(autouse=True)
def frozen():
    clock.set_now(T0)
    yield


def test_open_starts_in_listen_with_defaults_and_number(clerk, customer, vehicle, sla_calls):
    c = open_complaint(clerk, customer, vehicle=vehicle)
    assert c.state == "listen" and c.number.startswith("CP-2026-")
    assert c.severity == "medium" and c.assignee_id == clerk.id and c.created_by_id == clerk.id
    assert sla_calls == [{"action": "create", "starts": ("complaint.first_response", "complaint.resolution"),
                          "stops": (), "cancels": (), "targets": {}, "deadlines": {}}]
    [event] = events.timeline("complaint", c.id)
    assert event.action == "create" and event.to_state == "listen" and event.actor_id == clerk.id


@pytest.mark.parametrize("channel", ["manufacturer", "regulator"])
def test_external_channels_default_to_high_and_set_the_resolution_deadline(clerk, customer, channel, sla_calls):
    deadline = T0 + timedelta(days=5)
    c = open_complaint(clerk, customer, channel=channel, deadline_at=deadline, external_reference="HL-88")
    assert c.severity == "high" and c.deadline_at == deadline and c.external_reference == "HL-88"
    assert sla_calls[0]["deadlines"] == {"complaint.resolution": deadline}


def test_explicit_severity_wins_over_the_channel_default(clerk, customer):
    assert open_complaint(clerk, customer, channel="regulator", severity="critical").severity == "critical"


def test_letters_get_a_24h_first_response_target(clerk, customer, sla_calls):
    open_complaint(clerk, customer, channel="letter")
    assert sla_calls[0]["targets"] == {"complaint.first_response": 86400}


def test_deadline_only_for_external_channels_and_in_the_future(clerk, customer):
    with pytest.raises(ValidationFailed) as err:
        open_complaint(clerk, customer, channel="phone", deadline_at=T0 + timedelta(days=1), commit=False)
    assert "deadline_at" in err.value.fields
    with pytest.raises(ValidationFailed) as err:
        open_complaint(clerk, customer, channel="regulator", deadline_at=T0 - timedelta(hours=1), commit=False)
    assert "deadline_at" in err.value.fields


def test_vehicle_must_belong_to_the_customer(clerk, customer, store):
    from tests.factories import CustomerFactory, VehicleFactory

    other = VehicleFactory(customer=CustomerFactory(store=store))
    with pytest.raises(ValidationFailed) as err:
        open_complaint(clerk, customer, vehicle=other, commit=False)
    assert "vehicle_id" in err.value.fields


def test_customer_of_another_store_is_unknown(clerk, other_store):
    from tests.factories import CustomerFactory

    with pytest.raises(ValidationFailed) as err:
        open_complaint(clerk, CustomerFactory(store=other_store), vehicle=False, commit=False)
    assert "customer_id" in err.value.fields


def test_happy_path_records_every_step_and_declares_clocks(clerk, advisor, customer, vehicle, sla_calls):
    c = open_complaint(clerk, customer, vehicle=vehicle)
    clock.set_now(T0 + timedelta(minutes=40))
    run(c, "listen", {**LISTEN, "met_by_id": advisor.id}, clerk)
    assert c.state == "apologise" and c.account.startswith("Brakes") and c.met_by_id == advisor.id
    assert c.met_at == T0 + timedelta(minutes=40) and c.met_where == "meeting room"
    run(c, "apologise", APOLOGISE, advisor)
    assert c.state == "resolve" and c.apologised_at is not None
    run(c, "resolve", RESOLVE, advisor)
    assert c.state == "follow_up" and c.attribution == "our_fault"
    assert c.cost_to_store == Decimal("380.00") and c.compensation == Decimal("150.50")
    assert c.labour_waived == Decimal("200.00") and c.goodwill_total == Decimal("350.50")
    assert c.customer_accepted is True and c.resolved_by_id == advisor.id
    run(c, "follow_up", {"satisfied": True, "note": "Very happy, thanks."}, clerk)
    assert c.state == "closed" and c.closed_at is not None and c.satisfied is True
    by_action = {s["action"]: s for s in sla_calls}
    assert by_action["listen"]["stops"] == ("complaint.first_response",)
    assert by_action["resolve"]["stops"] == ("complaint.resolution",)
    assert by_action["resolve"]["starts"] == ("complaint.follow_up",)
    assert by_action["follow_up"]["stops"] == ("complaint.follow_up",)
    actions = [e.action for e in events.timeline("complaint", c.id)]
    assert actions == ["create", "listen", "apologise", "resolve", "follow_up"]


def test_resolve_event_keeps_amounts_as_two_place_strings(advisor, customer):
    c = advance(open_complaint(advisor, customer), advisor, "resolve")
    event = run(c, "resolve", RESOLVE, advisor)
    assert event.data["goodwill_total"] == "350.50"
    assert event.data["attribution"] == "our_fault"


def test_not_satisfied_reopens_restarts_resolution_and_second_reopen_escalates(
        clerk, advisor, manager, store_manager, customer, sla_calls):
    c = advance(open_complaint(clerk, customer), advisor, "follow_up")
    run(c, "follow_up", {"satisfied": False, "note": "Still squeals."}, clerk)
    assert c.state == "resolve" and c.reopen_count == 1 and c.escalation_level == 0
    assert sla_calls[-1]["starts"] == ("complaint.resolution",)
    assert sla_calls[-1]["stops"] == ("complaint.follow_up",)

    run(c, "resolve", {**RESOLVE, "resolution": "Replaced the pads with OEM parts."}, advisor)
    assert c.satisfied is None
    run(c, "follow_up", {"satisfied": False, "note": "Still not right."}, clerk)
    assert c.state == "resolve" and c.reopen_count == 2
    assert c.escalation_level == 1 and c.escalated_to_id == manager.id
    last_two = [e for e in events.timeline("complaint", c.id)][-2:]
    assert [e.action for e in last_two] == ["follow_up", "escalate"]
    assert last_two[1].actor_id is None and last_two[1].kind == "escalation"
    assert last_two[1].data["automatic"] is True and last_two[1].data["escalated_to_id"] == manager.id

    run(c, "resolve", RESOLVE, advisor)
    run(c, "follow_up", {"satisfied": False, "note": "I will go to the regulator."}, clerk)
    assert c.reopen_count == 3 and c.escalation_level == 2 and c.escalated_to_id == store_manager.id

    run(c, "resolve", RESOLVE, manager)
    run(c, "follow_up", {"satisfied": False, "note": "No."}, clerk)
    assert c.reopen_count == 4 and c.escalation_level == 2  # the top of the ladder; nothing higher
    run(c, "resolve", RESOLVE, store_manager)
    run(c, "follow_up", {"satisfied": True, "note": "Finally fine."}, clerk)
    assert c.state == "closed"


def test_automatic_escalation_without_managers_notes_it_and_keeps_the_follow_up(clerk, advisor, customer):
    c = advance(open_complaint(clerk, customer), advisor, "follow_up")
    for _ in range(2):
        run(c, "follow_up", {"satisfied": False, "note": "No."}, clerk)
        if c.state == "resolve" and c.reopen_count < 2:
            run(c, "resolve", RESOLVE, advisor)
    assert c.reopen_count == 2 and c.escalation_level == 0 and c.state == "resolve"
    last = events.timeline("complaint", c.id)[-1]
    assert last.kind == "system" and last.data["failed"]


def test_escalate_ladder_then_409_at_the_top(advisor, manager, store_manager, customer):
    c = open_complaint(advisor, customer)
    run(c, "escalate", {"reason": "Customer threatens social media."}, advisor)
    assert (c.escalation_level, c.escalated_to_id) == (1, manager.id)
    run(c, "acknowledge", {}, manager)
    assert c.escalation_acknowledged_by_id == manager.id and c.assignee_id == manager.id
    run(c, "escalate", {}, manager)
    assert (c.escalation_level, c.escalated_to_id) == (2, store_manager.id)
    assert c.escalation_acknowledged_by_id is None
    version = c.version
    with pytest.raises(Conflict):
        WF.perform(c, "escalate", {}, advisor)
    uow.rollback()
    assert c.version == version and c.escalation_level == 2


def test_escalate_to_store_manager_needs_one(advisor, manager, customer):
    c = open_complaint(advisor, customer)
    run(c, "escalate", {}, advisor)
    with pytest.raises(GateBlocked) as err:
        WF.perform(c, "escalate", {}, advisor)
    assert err.value.gate == "store_manager_exists"


def test_level_one_falls_back_to_the_store_manager(advisor, store_manager, customer):
    c = open_complaint(advisor, customer)
    run(c, "escalate", {}, advisor)
    assert c.escalated_to_id == store_manager.id


def test_manager_closes_with_documented_decision(manager, advisor, customer, sla_calls):
    c = advance(open_complaint(advisor, customer), advisor, "follow_up")
    run(c, "close", {"reason": "Customer unreachable for two weeks; closed after 3 attempts."}, manager)
    assert c.state == "closed" and c.close_reason.startswith("Customer unreachable")
    assert set(sla_calls[-1]["cancels"]) == {"complaint.first_response", "complaint.resolution",
                                            "complaint.follow_up"}


def test_manager_close_needs_attribution_and_resolution(manager, advisor, customer):
    c = open_complaint(advisor, customer)
    with pytest.raises(GateBlocked) as err:
        WF.perform(c, "close", {"reason": "Duplicate of another complaint."}, manager)
    assert err.value.gate == "attribution_recorded"
    uow.rollback()
    assert c.state == "listen" and c.close_reason is None
    run(c, "close", {"reason": "Withdrawn by the customer on the phone.", "attribution": "misunderstanding",
                     "resolution": "Explained the warranty terms; customer withdrew."}, manager)
    assert c.state == "closed" and c.attribution == "misunderstanding"


# --- roles ---------------------------------------------------------------------------------------
ROLE_MATRIX = {
    # action: roles allowed besides manager
    "listen": {"customer_relations", "advisor"},
    "apologise": {"customer_relations", "advisor"},
    "resolve": {"customer_relations", "advisor"},
    "follow_up": {"customer_relations"},
    "escalate": {"customer_relations", "advisor"},
    "close": set(),
    "assign": {"customer_relations", "advisor"},
    "note": {"customer_relations", "advisor"},
    "pause": {"customer_relations", "advisor"},
    "resume": {"customer_relations", "advisor"},
    "acknowledge": {"customer_relations", "advisor"},
}


def test_every_action_has_a_role_rule():
    assert set(WF.actions) == set(ROLE_MATRIX)


@pytest.mark.parametrize("action", sorted(ROLE_MATRIX))
@pytest.mark.parametrize("role", ["customer_relations", "advisor", "workshop", "manager"])
def test_role_matrix(action, role, make_user):
    user = make_user(role)
    allowed = role == "manager" or role in ROLE_MATRIX[action]
    assert WF.role_allows(user, WF.actions[action]) is allowed


@pytest.mark.parametrize("action,data", [("listen", LISTEN), ("escalate", {}), ("note", {"text": "x"}),
                                         ("pause", {"reason": "waiting_customer"})])
def test_workshop_is_refused_and_nothing_changes(workshop, advisor, customer, action, data):
    c = open_complaint(advisor, customer)
    version = c.version
    with pytest.raises(Forbidden):
        WF.perform(c, action, data, workshop)
    uow.rollback()
    assert c.version == version and c.state == "listen"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent).where(
        CaseEvent.case_id == c.id, CaseEvent.case_type == "complaint")) == 1


def test_advisor_may_not_record_the_follow_up_call(advisor, customer):
    c = advance(open_complaint(advisor, customer), advisor, "follow_up")
    with pytest.raises(Forbidden):
        WF.perform(c, "follow_up", {"satisfied": True, "note": "ok"}, advisor)


# --- states and bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("action,data", [("apologise", APOLOGISE), ("resolve", RESOLVE),
                                         ("follow_up", {"satisfied": True, "note": "fine"})])
def test_steps_out_of_order_are_409(advisor, customer, action, data, manager):
    c = open_complaint(advisor, customer)
    with pytest.raises(Conflict) as err:
        WF.perform(c, action, data, manager)
    assert err.value.code == "invalid_state"


def test_nothing_runs_on_a_closed_complaint(clerk, advisor, manager, customer):
    c = advance(open_complaint(clerk, customer), advisor, "closed", follow_user=clerk)
    for action, data in [("note", {"text": "late note"}), ("escalate", {}), ("close", {"reason": "x"}),
                         ("assign", {"assignee_id": advisor.id})]:
        with pytest.raises(Conflict):
            WF.perform(c, action, data, manager)


@pytest.mark.parametrize("action,data,field", [
    ("listen", {"account": "   "}, "account"),
    ("listen", {}, "account"),
    ("listen", {"account": "ok", "met_at": "yesterday"}, "met_at"),
])
def test_bad_listen_input_is_422_and_nothing_changes(advisor, customer, action, data, field):
    c = open_complaint(advisor, customer)
    with pytest.raises(ValidationFailed) as err:
        WF.perform(c, action, data, advisor)
    uow.rollback()
    assert field in err.value.fields and c.state == "listen" and c.account is None


def test_meeting_in_the_future_is_refused(advisor, customer):
    c = open_complaint(advisor, customer)
    with pytest.raises(ValidationFailed) as err:
        WF.perform(c, "listen", {"account": "x", "met_at": (T0 + timedelta(days=1)).isoformat()}, advisor)
    assert "met_at" in err.value.fields


@pytest.mark.parametrize("data,field", [
    ({**RESOLVE, "attribution": "bad_luck"}, "attribution"),
    ({**RESOLVE, "resolution": ""}, "resolution"),
    ({**RESOLVE, "cost_to_store": "-5"}, "cost_to_store"),
    ({**RESOLVE, "compensation": "lots"}, "compensation"),
])
def test_bad_resolve_input(advisor, customer, data, field):
    c = advance(open_complaint(advisor, customer), advisor, "resolve")
    with pytest.raises(ValidationFailed) as err:
        WF.perform(c, "resolve", data, advisor)
    uow.rollback()
    assert field in err.value.fields and c.state == "resolve" and c.attribution is None


def test_follow_up_needs_an_outcome(clerk, advisor, customer):
    c = advance(open_complaint(clerk, customer), advisor, "follow_up")
    with pytest.raises(ValidationFailed) as err:
        WF.perform(c, "follow_up", {"note": "called"}, clerk)
    uow.rollback()
    assert "satisfied" in err.value.fields and c.state == "follow_up" and c.followed_up_at is None


def test_pause_and_resume_with_manufacturer_wait(advisor, customer):
    c = open_complaint(advisor, customer)
    run(c, "pause", {"reason": "waiting_manufacturer", "note": "Asked the OEM for a technical bulletin."}, advisor)
    assert c.is_paused and c.pause_reason == "waiting_manufacturer"
    with pytest.raises(Conflict):
        WF.perform(c, "pause", {"reason": "waiting_customer"}, advisor)
    uow.rollback()
    clock.set_now(T0 + timedelta(hours=3))
    event = run(c, "resume", {}, advisor)
    assert not c.is_paused and event.data["paused_seconds"] == 3 * 3600


def test_assign_and_note_visibility(clerk, advisor, customer):
    c = open_complaint(clerk, customer)
    run(c, "assign", {"assignee_id": advisor.id}, clerk)
    assert c.assignee_id == advisor.id
    event = run(c, "note", {"text": "We will call you tomorrow.", "visibility": "customer"}, clerk)
    assert event.kind == "note" and event.visibility == "customer"
    assert [e.action for e in events.timeline("complaint", c.id, customer_visible_only=True)] == ["note"]


def test_version_conflict(advisor, customer):
    c = open_complaint(advisor, customer)
    with pytest.raises(Conflict) as err:
        WF.perform(c, "listen", {**LISTEN, "version": c.version + 5}, advisor)
    assert err.value.code == "version_conflict"


def test_numbers_run_per_store_and_year(advisor, customer):
    a = open_complaint(advisor, customer)
    b = open_complaint(advisor, customer)
    assert int(b.number.rsplit("-", 1)[1]) == int(a.number.rsplit("-", 1)[1]) + 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 2


def test_intake_assignee_must_handle_complaints(clerk, workshop, customer):
    with pytest.raises(ValidationFailed) as err:
        open_complaint(clerk, customer, assignee_id=workshop.id, commit=False)
    assert "assignee_id" in err.value.fields


def test_group_manager_logs_a_complaint_in_the_customers_store(make_user, other_store):
    from tests.factories import CustomerFactory

    group = make_user("manager", is_group=True, username="group")
    customer = CustomerFactory(store=other_store)
    c = open_complaint(group, customer, vehicle=False)
    assert c.store_id == other_store.id and c.number.startswith("CP-")
