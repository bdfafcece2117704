"""An unhappy follow-up call on a work order (satisfaction ≤ 2, or "not satisfied" ticked) opens a complaint (回访不满意转投诉) in the
same transaction: linked to the work order, assigned to customer relations, its first-response and
resolution clocks running. The work order knows nothing about complaints; we listen to its actions
(`core.workflow.action_performed`) and show the complaint on its page (`workorders.services.LINKED_CASES`)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..auth.models import User
from ..auth.services import store_staff
from ..extensions import db
from ..workorders.models import WorkOrder
from .models import Complaint
from .workflow import WF

CALLBACK_CHANNEL = "callback"


def customer_relations_of(store_id: int) -> User | None:
    """The store's customer-relations colleague who gets callback complaints (the longest-serving)."""
    return db.session.scalars(store_staff(store_id, ("customer_relations",), order_by=User.id).limit(1)).first()


def open_complaint_of(wo: WorkOrder) -> Complaint | None:
    """A complaint about this visit still being handled (then the unhappy call joins it)."""
    return db.session.scalars(sa.select(Complaint).where(
        Complaint.work_order_id == wo.id, Complaint.state != "closed").order_by(Complaint.id).limit(1)).first()


def open_from_callback(wo: WorkOrder, actor, at) -> Complaint:
    """The complaint of an unhappy callback; its intake is what the customer said on the call."""
    handler = customer_relations_of(wo.store_id)
    assignee_id = handler.id if handler is not None else wo.assignee_id
    note = (wo.follow_up_note or "").strip()
    description = str(_l("Unhappy at the follow-up call after %(number)s (satisfaction %(score)s/5).",
                         number=wo.number, score=wo.satisfaction))
    if wo.not_satisfied:
        description += "\n" + str(_l("Not satisfied: %(reason)s", reason=wo.not_satisfied_reason or ""))
    if note:
        description += "\n" + note
    complaint = Complaint(
        store_id=wo.store_id, customer_id=wo.customer_id, vehicle_id=wo.vehicle_id, work_order_id=wo.id,
        state=WF.initial, channel=CALLBACK_CHANNEL, category="other", severity="medium", description=description,
        created_by_id=getattr(actor, "id", None), assignee_id=assignee_id, created_at=at, updated_at=at)
    WF.start(complaint, actor, {"channel": CALLBACK_CHANNEL, "work_order_id": wo.id, "satisfaction": wo.satisfaction,
                                "assignee_id": assignee_id, "from_callback": True},
             starts=("complaint.first_response", "complaint.resolution"))
    return complaint


def on_work_order_action(sender, case=None, action=None, event=None, context=None, **_kw) -> None:
    """Connected to the work orders' `action_performed` by complaints.init_app."""
    if action.name != "follow_up" or not context.event_data.get("unhappy"):
        return
    complaint = open_complaint_of(case) or open_from_callback(case, context.actor, context.at)
    if event is not None:
        event.data = {**(event.data or {}), "complaint_id": complaint.id, "complaint_number": complaint.number}


def linked_complaints(wo: WorkOrder, user) -> list[dict]:
    """"Complaint CP-…" on the work order page, for those who may read complaints."""
    from ..auth.permissions import can

    if not can(user, "complaints.read"):
        return []
    rows = db.session.scalars(sa.select(Complaint).where(Complaint.work_order_id == wo.id).order_by(Complaint.id))
    return [{"case_type": Complaint.CASE_TYPE, "case_id": c.id, "number": c.number,
             "label": str(_l("Complaint %(number)s", number=c.number))} for c in rows]
