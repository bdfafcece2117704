"""Money reconciliation: per work order (every payer's share and what was received), per insurer
(receivables: invoiced, approved, paid, outstanding, days since submission) and per store and month
(goodwill cost by complaint attribution). Every figure comes from the work order's settlement
(workorders/settlement.py) or the claim's money, never recomputed here; the tables are dashboard
Sections, so the page, the CSV and the XLSX show the same cells."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..auth.models import Store
from ..claims.models import Claim
from ..complaints.models import Complaint, GoodwillPayment
from ..extensions import db
from ..workorders.models import WorkOrder, WorkOrderAdjustment
from .queries import Filters, _store_filter
from .sections import Column, Section
from .warranty import sections as warranty_sections

ZERO = Decimal("0.00")
#: at most this many work orders in the per-work-order table (the newest deliveries of the period)
MAX_WORK_ORDERS = 500
ATTRIBUTION_LABELS = {"our_fault": _l("Our fault"), "not_our_fault": _l("Not our fault"),
                      "misunderstanding": _l("Misunderstanding"), None: _l("Not attributed")}


def work_orders(f: Filters, case_url=None) -> Section:
    """Work orders delivered in the period: each payer's share and what the customer and insurer paid."""
    s = Section("reconciliation_work_orders", _l("Per work order: who pays what, and what was received"), [
        Column("number", _l("Work order")), Column("total", _l("Total ¥"), "money"),
        Column("customer", _l("Customer ¥"), "money"), Column("received", _l("Received from the customer ¥"), "money"),
        Column("insurer", _l("Insurer ¥"), "money"), Column("insurer_paid", _l("Paid by the insurer ¥"), "money"),
        Column("manufacturer", _l("Manufacturer ¥"), "money"), Column("dealer", _l("Dealer ¥"), "money"),
        Column("goodwill", _l("of which goodwill ¥"), "money")])
    stmt = (sa.select(WorkOrder).where(_store_filter(WorkOrder.store_id, f), WorkOrder.delivered_at >= f.date_from,
                                       WorkOrder.delivered_at < f.date_to)
            .options(selectinload(WorkOrder.lines), selectinload(WorkOrder.adjustments),
                     selectinload(WorkOrder.payments))
            .order_by(WorkOrder.delivered_at.desc()).limit(MAX_WORK_ORDERS))
    orders = list(db.session.scalars(stmt))
    claims = {c.work_order_id: c for c in db.session.scalars(
        sa.select(Claim).where(Claim.work_order_id.in_([w.id for w in orders])).options(selectinload(Claim.payouts)))
    } if orders else {}
    for wo in orders:
        b = wo.settlement
        claim = claims.get(wo.id)
        s.rows.append([wo.number, b.total, b.customer, b.received, b.insurer,
                       claim.paid_total if claim is not None else ZERO, b.manufacturer, b.dealer, b.goodwill])
        s.links.append(case_url("work_order", wo.id) if case_url else None)
    return s


def insurers(f: Filters) -> Section:
    """Receivables now: claims submitted and not closed, per insurer."""
    s = Section("reconciliation_insurers", _l("Per insurer: receivables now"), [
        Column("insurer", _l("Insurer")), Column("claims", _l("Claims"), "int"),
        Column("invoiced", _l("Invoiced ¥"), "money"), Column("approved", _l("Approved ¥"), "money"),
        Column("paid", _l("Paid ¥"), "money"), Column("outstanding", _l("Outstanding ¥"), "money"),
        Column("oldest", _l("Oldest (days since submission)"), "days"),
        Column("average", _l("Average (days since submission)"), "days")])
    stmt = (sa.select(Claim).where(_store_filter(Claim.store_id, f), Claim.state == "payout")
            .options(selectinload(Claim.payouts), selectinload(Claim.supplements), selectinload(Claim.insurer)))
    agg: dict[int, dict] = {}
    for claim in db.session.scalars(stmt):
        a = agg.setdefault(claim.insurer_id, {"name": claim.insurer.label, "claims": 0, "invoiced": ZERO,
                                              "approved": ZERO, "paid": ZERO, "outstanding": ZERO, "days": []})
        a["claims"] += 1
        a["invoiced"] += claim.invoiced
        a["approved"] += claim.approved_total
        a["paid"] += claim.paid_total
        a["outstanding"] += claim.outstanding
        if claim.submitted_at is not None:
            a["days"].append((f.now - claim.submitted_at).total_seconds() / 86400)
    for a in sorted(agg.values(), key=lambda r: -r["outstanding"]):
        days = a["days"]
        s.rows.append([a["name"], a["claims"], a["invoiced"], a["approved"], a["paid"], a["outstanding"],
                       round(max(days), 1) if days else None, round(sum(days) / len(days), 1) if days else None])
    return s


def goodwill(f: Filters) -> Section:
    """Goodwill the stores gave in the period, per store and month, by the complaint's attribution:
    discounts and waivers on bills plus goodwill payments (compensation)."""
    s = Section("reconciliation_goodwill", _l("Goodwill cost per store and month, by complaint attribution"), [
        Column("store", _l("Store")), Column("month", _l("Month")), Column("attribution", _l("Attribution")),
        Column("on_bills", _l("Discounts and waivers on bills ¥"), "money"),
        Column("paid", _l("Paid directly ¥"), "money"), Column("total", _l("Total ¥"), "money")])
    tz = ZoneInfo(f.tz)
    sums: dict[tuple, list] = defaultdict(lambda: [ZERO, ZERO])
    adj = (sa.select(Store.code, WorkOrderAdjustment.created_at, Complaint.attribution, WorkOrderAdjustment.amount)
           .join(Complaint, Complaint.id == WorkOrderAdjustment.complaint_id)
           .join(Store, Store.id == Complaint.store_id)
           .where(_store_filter(Complaint.store_id, f), WorkOrderAdjustment.created_at >= f.date_from,
                  WorkOrderAdjustment.created_at < f.date_to))
    for code, at, attribution, amount in db.session.execute(adj):
        sums[(code, at.astimezone(tz).strftime("%Y-%m"), attribution)][0] += amount
    paid = (sa.select(Store.code, GoodwillPayment.created_at, Complaint.attribution, GoodwillPayment.amount)
            .join(Complaint, Complaint.id == GoodwillPayment.complaint_id)
            .join(Store, Store.id == GoodwillPayment.store_id)
            .where(_store_filter(GoodwillPayment.store_id, f), GoodwillPayment.created_at >= f.date_from,
                   GoodwillPayment.created_at < f.date_to))
    for code, at, attribution, amount in db.session.execute(paid):
        sums[(code, at.astimezone(tz).strftime("%Y-%m"), attribution)][1] += amount
    for (code, month, attribution), (on_bills, direct) in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1],
                                                                                                str(kv[0][2]))):
        s.rows.append([code, month, str(ATTRIBUTION_LABELS.get(attribution, attribution)), on_bills, direct,
                       on_bills + direct])
    return s


def sections(f: Filters, case_url=None) -> list[Section]:
    return [work_orders(f, case_url), insurers(f), goodwill(f), *warranty_sections(f)]
