"""Manufacturer warranty claims (厂家索赔): the brand rules, the claim, its lines, evidence and
reimbursements (credit notes). The claim's lines are the work order's warranty lines; their amounts
come from the work order's settlement (the manufacturer's share), never summed anew elsewhere."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import now
from ..core.models import CaseMixin, TimestampMixin
from ..core.types import JSONType, Money, UTCDateTime
from ..extensions import db

ZERO = Decimal("0.00")

#: the evidence a manufacturer may require, in the order it is usually collected
EVIDENCE_KINDS = ("photos", "fault_code", "vin", "mileage", "labour_codes", "old_part_tag", "diagnosis_report")
EVIDENCE_LABELS = {
    "photos": _l("Photos of the fault"),
    "fault_code": _l("Fault code (DTC)"),
    "vin": _l("VIN"),
    "mileage": _l("Mileage"),
    "labour_codes": _l("Labour operation codes"),
    "old_part_tag": _l("Old-part tag"),
    "diagnosis_report": _l("Diagnosis report"),
}
#: evidence the claim's own data provides (the vehicle, the work order, the lines)
DERIVED_EVIDENCE = ("vin", "mileage", "labour_codes", "old_part_tag")
LINE_STATUSES = ("pending", "approved", "partly", "rejected")
REJECTION_REASONS = ("not_covered", "out_of_period", "missing_evidence", "late_submission", "wrong_labour_code",
                     "part_not_returned", "misuse", "other")
REJECTION_LABELS = {
    "not_covered": _l("Not covered by the warranty"),
    "out_of_period": _l("Outside the warranty period"),
    "missing_evidence": _l("Evidence missing or unclear"),
    "late_submission": _l("Submitted too late"),
    "wrong_labour_code": _l("Wrong labour operation code or time"),
    "part_not_returned": _l("Old part not returned"),
    "misuse": _l("Misuse or outside influence"),
    "other": _l("Other"),
}


def outstanding_of(claimed, approved, reimbursed, written_off) -> Decimal:
    """What the manufacturer still owes: approved − reimbursed, less what a short-paid write-off took (a write-off
    first takes refused money; only beyond that does it reduce the approved)."""
    claimed, approved, reimbursed, off = (x or ZERO for x in (claimed, approved, reimbursed, written_off))
    return max(min(approved - reimbursed, claimed - reimbursed - off), ZERO)


class WarrantyBrandRule(TimestampMixin, db.Model):
    """One brand's (Vehicle.make) warranty claim rules: configuration, not code."""

    __tablename__ = "warranty_brand_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    make: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    submission_days: Mapped[int] = mapped_column(nullable=False, default=30)
    return_days: Mapped[int] = mapped_column(nullable=False, default=30)
    preauth_threshold: Mapped[Decimal | None] = mapped_column(Money)  # None: never needed
    required_evidence: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    #: every change, newest first: {"at", "by_id", "by", "changes": {field: [old, new]}} (created: "created": true)
    history: Mapped[list | None] = mapped_column(JSONType)


class WarrantyClaim(CaseMixin, db.Model):
    __tablename__ = "warranty_claims"
    CASE_TYPE = "warranty"
    NUMBER_PREFIX = "WC"

    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_orders.id"), nullable=False, index=True)
    make: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    repair_completed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    submission_due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # the manufacturer's share of the work order when the claim was opened (kept in step with it)
    claimed_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    approved_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    reimbursed_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    written_off_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    write_off_reason: Mapped[str | None] = mapped_column(sa.Text)
    # pre-authorisation (预授权)
    preauth_required: Mapped[bool] = mapped_column(nullable=False, default=False)
    preauth_status: Mapped[str | None] = mapped_column(sa.String(12))  # requested | approved | rejected
    preauth_reference: Mapped[str | None] = mapped_column(sa.String(64))
    preauth_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preauth_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preauth_note: Mapped[str | None] = mapped_column(sa.Text)
    # submission (提交索赔) and the manufacturer's answer
    manufacturer_claim_number: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    submissions: Mapped[int] = mapped_column(nullable=False, default=0)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # old parts (旧件回运)
    return_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_waybill: Mapped[str | None] = mapped_column(sa.String(64))
    return_shipped_on: Mapped[date | None] = mapped_column(sa.Date)
    reimbursed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_reason: Mapped[str | None] = mapped_column(sa.Text)

    vehicle = relationship("Vehicle")
    customer = relationship("Customer")
    assignee = relationship("User", foreign_keys="WarrantyClaim.assignee_id")
    work_order = relationship("WorkOrder", foreign_keys=[work_order_id])
    lines: Mapped[list["WarrantyClaimLine"]] = relationship(
        back_populates="claim", order_by="WarrantyClaimLine.position", cascade="all, delete-orphan")
    evidence: Mapped[list["WarrantyEvidence"]] = relationship(
        back_populates="claim", order_by="WarrantyEvidence.id", cascade="all, delete-orphan")
    reimbursements: Mapped[list["WarrantyReimbursement"]] = relationship(
        back_populates="claim", order_by="WarrantyReimbursement.id", cascade="all, delete-orphan")

    # --- money (all Decimal, whole fen) -------------------------------------------------------------
    @property
    def approved_total(self) -> Decimal:
        return sum((ln.approved_amount or ZERO for ln in self.lines if ln.status in ("approved", "partly")), ZERO)

    @property
    def rejected_total(self) -> Decimal:
        """Claimed but not approved (rejected lines and the cut of partly approved ones)."""
        return sum((ln.amount - (ln.approved_amount or ZERO) for ln in self.lines
                    if ln.status in ("rejected", "partly")), ZERO)

    @property
    def reimbursed_total(self) -> Decimal:
        return sum((r.amount for r in self.reimbursements), ZERO)

    @property
    def unsettled(self) -> Decimal:
        """Claimed − reimbursed − written off; a closed claim has 0.00."""
        return self.claimed_amount - self.reimbursed_total - (self.written_off_amount or ZERO)

    @property
    def outstanding(self) -> Decimal:
        """Approved by the manufacturer, not yet reimbursed and not written off as short-paid."""
        return outstanding_of(self.claimed_amount, self.approved_total, self.reimbursed_total, self.written_off_amount)

    @property
    def pending_lines(self) -> list["WarrantyClaimLine"]:
        return [ln for ln in self.lines if ln.status == "pending"]

    @property
    def part_lines(self) -> list["WarrantyClaimLine"]:
        return [ln for ln in self.lines if ln.kind == "part"]

    def evidence_of(self, kind: str) -> list["WarrantyEvidence"]:
        return [e for e in self.evidence if e.kind == kind]


class WarrantyClaimLine(db.Model):
    """One warranty line of the work order, as claimed from the manufacturer and decided by it."""

    __tablename__ = "warranty_claim_lines"
    __table_args__ = (sa.UniqueConstraint("claim_id", "work_order_line_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("warranty_claims.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    work_order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("work_order_lines.id"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)  # labour | part
    description: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    operation_code: Mapped[str | None] = mapped_column(sa.String(32))
    part_number: Mapped[str | None] = mapped_column(sa.String(40))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="pending")
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    reason_code: Mapped[str | None] = mapped_column(sa.String(24))
    reason_text: Mapped[str | None] = mapped_column(sa.Text)
    resubmissions: Mapped[int] = mapped_column(nullable=False, default=0)
    part_tag: Mapped[str | None] = mapped_column(sa.String(40))  # the old-part tag (旧件标签)

    claim: Mapped[WarrantyClaim] = relationship(back_populates="lines")


class WarrantyEvidence(db.Model):
    """One piece of evidence for the manufacturer: a value (fault code …) and/or an uploaded document."""

    __tablename__ = "warranty_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("warranty_claims.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    kind: Mapped[str] = mapped_column(sa.String(24), nullable=False)
    value: Mapped[str | None] = mapped_column(sa.String(255))
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    claim: Mapped[WarrantyClaim] = relationship(back_populates="evidence")

    @property
    def label(self) -> str:
        return str(EVIDENCE_LABELS.get(self.kind, self.kind))


class WarrantyReimbursement(db.Model):
    """Money credited by the manufacturer (credit note, 索赔结算单)."""

    __tablename__ = "warranty_reimbursements"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("warranty_claims.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    credit_note_number: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    received_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    claim: Mapped[WarrantyClaim] = relationship(back_populates="reimbursements")
