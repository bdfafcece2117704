"""Insurance claims (保险理赔), the insurers, supplements, the document checklist and payouts."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import now
from ..core.models import CaseMixin, TimestampMixin
from ..core.types import JSONType, Money, UTCDateTime
from ..extensions import db

ZERO = Decimal("0.00")

#: the document kinds of api.md, in the order they are usually collected
DOCUMENT_KINDS = ("vehicle_licence", "driving_licence", "policy", "accident_certificate", "assessment_report",
                  "repair_invoice", "owner_id", "bank_details", "authorisation")
DOCUMENT_LABELS = {
    "vehicle_licence": _l("Vehicle licence (行驶证)"),
    "driving_licence": _l("Driving licence (驾驶证)"),
    "policy": _l("Insurance policy (保单)"),
    "accident_certificate": _l("Accident certificate or agreed accident report"),
    "assessment_report": _l("Loss-assessment report (定损单)"),
    "repair_invoice": _l("Repair invoice (维修发票)"),
    "owner_id": _l("Owner's ID card (身份证)"),
    "bank_details": _l("Bank account details"),
    "authorisation": _l("Signed authorisation to claim (委托书)"),
}
DOC_STATUSES = ("missing", "received", "verified", "rejected")
LIABILITIES = ("full", "major", "equal", "minor", "none")
PAYER_ROUTES = ("own_damage", "third_party", "subrogation")
PRESENT_PARTIES = ("owner", "advisor", "assessor")


class Insurer(TimestampMixin, db.Model):
    """An insurance company (保险公司), shared by the group's stores."""

    __tablename__ = "insurers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    short_name: Mapped[str | None] = mapped_column(sa.String(32))
    hotline: Mapped[str | None] = mapped_column(sa.String(32))
    # [{"name", "role", "phone", "email"}] — local claims office, assessors, payments desk …
    contacts: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    required_documents: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def label(self) -> str:
        return self.short_name or self.name


class InsurerChange(db.Model):
    """The history of a group-shared insurer: who created or changed it, when, and each field's old and new
    value ({"name": [old, new], …}), so a change seen in another store can be traced."""

    __tablename__ = "insurer_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    insurer_id: Mapped[int] = mapped_column(sa.ForeignKey("insurers.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    action: Mapped[str] = mapped_column(sa.String(16), nullable=False)  # created | updated
    changes: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)

    actor: Mapped["User | None"] = relationship(lazy="joined")


class Claim(CaseMixin, db.Model):
    __tablename__ = "claims"
    CASE_TYPE = "claim"
    NUMBER_PREFIX = "CL"

    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)
    insurer_id: Mapped[int] = mapped_column(sa.ForeignKey("insurers.id"), nullable=False, index=True)
    # Report (报案)
    policy_number: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # commercial (商业险)
    compulsory_policy_number: Mapped[str | None] = mapped_column(sa.String(64))  # 交强险
    report_number: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accident_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    accident_place: Mapped[str | None] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    liability: Mapped[str | None] = mapped_column(sa.String(16))
    payer_route: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="own_damage")
    third_party_insurer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("insurers.id"))
    third_party_plate: Mapped[str | None] = mapped_column(sa.String(16))
    vehicle_arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The repair: a work order with pay type insurance, opened or linked when the car arrives.
    work_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_orders.id"), index=True)
    # Assessment (定损)
    assessor_name: Mapped[str | None] = mapped_column(sa.String(120))
    assessor_phone: Mapped[str | None] = mapped_column(sa.String(32))
    assessor_company: Mapped[str | None] = mapped_column(sa.String(120))
    assessment_appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    damage_items: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    present: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    owner_representative: Mapped[str | None] = mapped_column(sa.String(120))
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    total_loss: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Repair, release of the car, submission
    repair_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invoiced_amount: Mapped[Decimal | None] = mapped_column(Money)
    release_override_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    release_override_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    authorised_by: Mapped[str | None] = mapped_column(sa.String(120))
    claimed_amount: Mapped[Decimal | None] = mapped_column(Money)
    fully_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reconciliation at close, or the outcome of reject / withdraw
    customer_owes_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    written_off_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=ZERO)
    write_off_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Who agreed, for the customer, to pay what the insurer does not (charge_customer).
    customer_consent_by: Mapped[str | None] = mapped_column(sa.String(120))
    outcome_reason: Mapped[str | None] = mapped_column(sa.Text)

    # No joined eager loads here: actions lock the claim row (SELECT … FOR UPDATE), which PostgreSQL
    # refuses on the nullable side of an outer join. Lists use selectinload instead.
    insurer: Mapped[Insurer] = relationship(foreign_keys=[insurer_id])
    third_party_insurer: Mapped[Insurer | None] = relationship(foreign_keys=[third_party_insurer_id])
    vehicle = relationship("Vehicle")
    customer = relationship("Customer")
    assignee = relationship("User", foreign_keys="Claim.assignee_id")
    work_order = relationship("WorkOrder", foreign_keys=[work_order_id])
    release_override_by = relationship("User", foreign_keys=[release_override_by_id])
    checklist: Mapped[list["ClaimDocument"]] = relationship(
        back_populates="claim", order_by="ClaimDocument.position", cascade="all, delete-orphan")
    supplements: Mapped[list["ClaimSupplement"]] = relationship(
        back_populates="claim", order_by="ClaimSupplement.seq", cascade="all, delete-orphan")
    payouts: Mapped[list["ClaimPayout"]] = relationship(
        back_populates="claim", order_by="ClaimPayout.paid_at", cascade="all, delete-orphan")

    # --- money (all Decimal) -------------------------------------------------------------------
    @property
    def supplements_approved(self) -> Decimal:
        return sum((s.approved_amount or ZERO for s in self.supplements if s.status == "approved"), ZERO)

    @property
    def approved_total(self) -> Decimal:
        """What the insurer agreed to pay: the assessment plus approved supplements."""
        return (self.approved_amount or ZERO) + self.supplements_approved

    @property
    def customer_pays_supplements(self) -> Decimal:
        """Rejected supplement work the customer chose to have done at their own cost."""
        return sum((s.amount for s in self.supplements
                    if s.status == "rejected" and s.customer_decision == "pay"), ZERO)

    @property
    def billed_work_order(self):
        """The linked work order once it bills anything (an approved line), else None."""
        wo = self.work_order
        if wo is None or not any(ln.decision == "approved" for ln in wo.lines):
            return None
        return wo

    @property
    def invoiced(self) -> Decimal:
        """The repair invoice: the insurance share of the linked work order's settlement (its insurance
        lines and adjustments). Before the work order bills anything (or without one: a total loss), the
        invoice recorded on the claim, else the approved total."""
        wo = self.billed_work_order
        if wo is not None:
            return wo.settlement.insurer
        return self.invoiced_amount if self.invoiced_amount is not None else self.approved_total

    @property
    def approved_gap(self) -> Decimal:
        """Invoiced − approved: positive when the bill to the insurer is above what it agreed to pay; it
        needs an owner (a supplement, the customer with consent, or a manager's write-off)."""
        return self.invoiced - self.approved_total

    @property
    def expected_payout(self) -> Decimal:
        """What the insurer is expected to pay: the amount claimed at submission, else what it approved,
        never more than the invoice."""
        if self.claimed_amount is not None:
            return self.claimed_amount
        return min(self.approved_total, self.invoiced)

    @property
    def paid_total(self) -> Decimal:
        return sum((p.amount for p in self.payouts), ZERO)

    @property
    def settled_total(self) -> Decimal:
        """Paid by the insurer + written off by the dealer + charged to the customer."""
        return self.paid_total + (self.written_off_amount or ZERO) + (self.customer_owes_amount or ZERO)

    @property
    def unsettled(self) -> Decimal:
        """Invoiced − paid − written off − charged to the customer; a closed claim has 0.00."""
        return self.invoiced - self.settled_total

    @property
    def outstanding(self) -> Decimal:
        """Still expected from the insurer (never beyond what the invoice leaves unsettled)."""
        cap = self.invoiced - (self.written_off_amount or ZERO) - (self.customer_owes_amount or ZERO)
        return max(min(self.expected_payout, cap) - self.paid_total, ZERO)

    @property
    def shortfall(self) -> Decimal:
        """Invoiced but not paid by the insurer (negative: the insurer paid more than invoiced)."""
        return self.invoiced - self.paid_total

    # --- documents -----------------------------------------------------------------------------
    @property
    def missing_documents(self) -> list["ClaimDocument"]:
        """Required items not yet verified (missing, received but unchecked, or rejected)."""
        return [d for d in self.checklist if d.required and d.status != "verified"]

    @property
    def documents_complete(self) -> bool:
        return not self.missing_documents

    @property
    def pending_supplements(self) -> list["ClaimSupplement"]:
        return [s for s in self.supplements if s.status == "requested"]

    @property
    def supplements_awaiting_customer(self) -> list["ClaimSupplement"]:
        return [s for s in self.supplements if s.status == "rejected" and s.customer_decision is None]

    def checklist_item(self, kind: str) -> "ClaimDocument | None":
        return next((d for d in self.checklist if d.kind == kind), None)


class ClaimDocument(db.Model):
    """One line of a claim's document checklist (单证), built from the insurer's list."""

    __tablename__ = "claim_documents"
    __table_args__ = (sa.UniqueConstraint("claim_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    kind: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    required: Mapped[bool] = mapped_column(nullable=False, default=True)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="missing")
    status_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)
    document_id: Mapped[int | None] = mapped_column(sa.ForeignKey("documents.id"))

    claim: Mapped[Claim] = relationship(back_populates="checklist")
    status_by = relationship("User", lazy="joined")
    document = relationship("Document", lazy="joined")

    @property
    def label(self) -> str:
        return str(DOCUMENT_LABELS.get(self.kind, self.kind))

    @property
    def status_by_name(self) -> str | None:
        return self.status_by.display_name if self.status_by else None


class ClaimSupplement(db.Model):
    """A supplementary assessment (追加定损): hidden damage found in repair, waiting on the insurer."""

    __tablename__ = "claim_supplements"
    __table_args__ = (sa.UniqueConstraint("claim_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    seq: Mapped[int] = mapped_column(nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    lines: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    status: Mapped[str] = mapped_column(sa.String(12), nullable=False, default="requested")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    approved_amount: Mapped[Decimal | None] = mapped_column(Money)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))  # the insurer's assessor
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    # A rejected supplement goes to the customer: pay for the work or skip it.
    customer_decision: Mapped[str | None] = mapped_column(sa.String(8))
    customer_decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_decided_by: Mapped[str | None] = mapped_column(sa.String(120))

    claim: Mapped[Claim] = relationship(back_populates="supplements")

    @property
    def number(self) -> str:
        return f"S{self.seq}"


class ClaimPayout(db.Model):
    """Money received from the insurer; a claim may be paid in several parts."""

    __tablename__ = "claim_payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="CASCADE"), nullable=False,
                                          index=True)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    claim: Mapped[Claim] = relationship(back_populates="payouts")
