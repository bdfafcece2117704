"""Warranty claims on the reconciliation page: receivables by brand (claimed, approved, reimbursed, written
off, outstanding and its ageing since submission) and the manufacturers' rejections (rate and top reasons).
The figures come from `warranty.queries` (the claims' stored amounts, kept from the work order's
settlement); the tables are dashboard Sections, so the page, the CSV and the XLSX show the same cells."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..warranty import queries as wq
from ..warranty.models import REJECTION_LABELS
from .queries_base import Filters
from .sections import Column, Section

BUCKET_TITLES = (_l("0–30 days ¥"), _l("31–60 days ¥"), _l("61–90 days ¥"), _l("> 90 days ¥"))


def receivables(f: Filters) -> Section:
    """Warranty receivables now, by brand (claims not cancelled)."""
    s = Section("reconciliation_warranty", _l("Warranty receivables by brand (厂家索赔)"), [
        Column("make", _l("Brand")), Column("claims", _l("Claims"), "int"),
        Column("claimed", _l("Claimed ¥"), "money"), Column("approved", _l("Approved ¥"), "money"),
        Column("reimbursed", _l("Reimbursed ¥"), "money"), Column("written_off", _l("Written off ¥"), "money"),
        Column("outstanding", _l("Outstanding ¥"), "money"),
        *[Column(f"age_{i}", title, "money") for i, title in enumerate(BUCKET_TITLES)],
        Column("oldest", _l("Oldest (days since submission)"), "days")])
    data = wq.receivables(f.store_ids)
    for r in data["brands"]:
        s.rows.append([r["make"], r["claims"], r["claimed"], r["approved"], r["reimbursed"], r["written_off"],
                       r["outstanding"], *r["buckets"], r["oldest_days"]])
    return s


def rejections(f: Filters) -> Section:
    """The manufacturers' decisions on claims opened in the period: rejected or cut lines by reason."""
    data = wq.rejections(f.store_ids, start=f.date_from, end=f.date_to, top=10)
    s = Section("reconciliation_warranty_rejections", _l("Warranty rejections: top reasons"), [
        Column("reason", _l("Reason")), Column("lines", _l("Lines"), "int"),
        Column("amount", _l("Not approved ¥"), "money")])
    s.note = _l("%(rejected)s of %(decided)s decided lines rejected or cut: rejection rate %(rate)s.",
                rejected=data["rejected_lines"], decided=data["decided_lines"], rate=f"{data['rate']:.1%}")
    for r in data["reasons"]:
        s.rows.append([str(REJECTION_LABELS.get(r["reason"], r["reason"])), r["lines"], r["amount"]])
    return s


def sections(f: Filters) -> list[Section]:
    return [receivables(f), rejections(f)]
