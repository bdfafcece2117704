"""How a complaint is shown: the one next step (pages, home panel, API) and the API output."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields

from ..core.schemas import CaseOutBase
from ..core.workflow import PAUSE_LABELS, NextStep
from .labels import NEXT_STEPS, label
from .services import goodwill_granted
from .workflow import WF


def next_step(c) -> NextStep:
    """The one next step on a complaint (pages, home panel and API): the state's step in words."""
    if c.state != "closed" and c.is_paused:
        return NextStep(_("Paused (%(reason)s): resume when the wait is over.",
                          reason=label(PAUSE_LABELS, c.pause_reason)), action="resume")
    if c.state == "resolve" and c.reopen_count:
        return NextStep(_("Resolve again: the customer was not satisfied at the follow-up call (reopened "
                          "%(n)s×).", n=c.reopen_count), action="resolve")
    return NextStep(label(NEXT_STEPS, c.state), action=None if c.state == "closed" else c.state)


class GoodwillGrantedOut(Schema):
    kind = fields.String(metadata={"description": "labour_waiver | goodwill_discount | compensation"})
    amount = fields.Decimal(places=2, as_string=True)
    work_order_id = fields.Integer(allow_none=True)
    work_order_number = fields.String(allow_none=True)
    work_order_state = fields.String(allow_none=True)
    paid_directly = fields.Boolean(metadata={"description": "a goodwill payment, not a line of a bill"})


class ComplaintOut(CaseOutBase):
    vehicle_id = fields.Integer(allow_none=True)
    work_order_id = fields.Integer(allow_none=True)
    channel = fields.String()
    category = fields.String()
    severity = fields.String()
    description = fields.String()
    external_reference = fields.String(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)
    account = fields.String(allow_none=True)
    met_by_id = fields.Integer(allow_none=True)
    met_at = fields.DateTime(allow_none=True)
    met_where = fields.String(allow_none=True)
    listened_at = fields.DateTime(allow_none=True)
    apology_note = fields.String(allow_none=True)
    apologised_at = fields.DateTime(allow_none=True)
    attribution = fields.String(allow_none=True)
    root_cause = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    cost_to_store = fields.Decimal(places=2, as_string=True)
    labour_waived = fields.Decimal(places=2, as_string=True)
    discount = fields.Decimal(places=2, as_string=True)
    compensation = fields.Decimal(places=2, as_string=True)
    goodwill_note = fields.String(allow_none=True)
    customer_accepted = fields.Boolean(allow_none=True)
    resolution_work_order_id = fields.Integer(allow_none=True)
    resolution_work_order_kind = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    resolved_by_id = fields.Integer(allow_none=True)
    satisfied = fields.Boolean(allow_none=True)
    follow_up_note = fields.String(allow_none=True)
    followed_up_at = fields.DateTime(allow_none=True)
    reopen_count = fields.Integer()
    escalated_to_id = fields.Integer(allow_none=True)
    close_reason = fields.String(allow_none=True)
    customer_name = fields.Function(lambda c: c.customer.name if c.customer else None)
    next_step = fields.Function(lambda c: str(next_step(c).label),
                                metadata={"description": "the one next step, in words"})
    available_actions = fields.Method("_available", metadata={
        "description": "actions the caller may run now (before field checks and gates)"})
    vehicle_plate = fields.Function(lambda c: c.vehicle.plate if c.vehicle else None)

    def _available(self, c):
        user = current_user._get_current_object() if getattr(current_user, "is_authenticated", False) else None
        return [a.name for a in WF.available(c, user)] if user is not None else []


class ComplaintDetailOut(ComplaintOut):
    """One complaint (get, create, actions): the list rows leave out what was granted."""

    goodwill_granted = fields.Method("get_goodwill_granted", metadata={
        "description": "what was actually granted: adjustment lines on work-order bills, goodwill payments "
                       "(list of GoodwillGrantedOut)"})

    def get_goodwill_granted(self, case):
        if case.resolved_at is None:  # nothing is granted before a resolution: no queries
            return []
        return GoodwillGrantedOut(many=True).dump(goodwill_granted(case))
