"""The work order (repair order), its labour and parts lines, its signed checks, and the parts stock."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.clock import now
from ..core.models import CaseMixin, TimestampMixin
from ..core.types import JSONType, Money, UTCDateTime
from ..extensions import db

STATES = ["reception", "estimated", "authorised", "in_repair", "quality_check", "ready", "delivered", "closed",
          "cancelled"]
OPEN_STATES = ["reception", "estimated", "authorised", "in_repair", "quality_check", "ready"]
PAY_TYPES = ("customer", "warranty", "insurance", "internal")
DECISIONS = ("proposed", "approved", "declined", "deferred")
LINE_KINDS = ("labour", "part")
WARRANTY = ("covered", "not_covered", "pending")
CHECK_STAGES = ("self", "team_lead", "final")
PRIORITIES = ("low", "normal", "high", "urgent")
SIGNATURE_CHANNELS = ("in_person", "phone", "wechat", "sms", "email")
PAYMENT_METHODS = ("cash", "bank_card", "wechat_pay", "alipay", "bank_transfer", "company_account")
OLD_PARTS = ("customer_takes", "dealer_disposes")
FOLLOW_UP_OUTCOMES = ("reached", "no_answer", "call_back_later")


class WorkOrder(CaseMixin, db.Model):
    """One visit of one vehicle (任务委托书). The assignee is the service advisor who owns it."""

    __tablename__ = "work_orders"
    CASE_TYPE = "work_order"
    NUMBER_PREFIX = "WO"

    vehicle_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicles.id"), nullable=False, index=True)
    # A comeback (rework of an earlier job) points at the work order it reworks.
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("work_orders.id"), index=True)
    # Default pay type for new lines: customer, or insurance (claims), internal (complaint reworks).
    pay_type: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="customer")

    # Reception and the check-in sheet (接车登记表)
    appointment_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mileage_km: Mapped[int] = mapped_column(nullable=False)
    mileage_reason: Mapped[str | None] = mapped_column(sa.String(500))
    customer_description: Mapped[str] = mapped_column(sa.Text, nullable=False)
    fuel_level: Mapped[int | None] = mapped_column()  # percent (battery percent for an EV)
    damage: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # [{panel, kind, note}]
    valuables: Mapped[str | None] = mapped_column(sa.Text)
    covers_fitted: Mapped[bool] = mapped_column(nullable=False, default=False)
    licence_checked: Mapped[bool] = mapped_column(nullable=False, default=False)
    booklet_checked: Mapped[bool] = mapped_column(nullable=False, default=False)
    diagnosis: Mapped[str | None] = mapped_column(sa.Text)
    spare_tyre_present: Mapped[bool | None] = mapped_column()  # None: not recorded
    tool_kit_present: Mapped[bool | None] = mapped_column()
    key_tag: Mapped[str | None] = mapped_column(sa.String(20))  # the numbered tag on the customer's key

    # Authorisation (the customer's signature on the work order)
    promised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(sa.String(120))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signature_channel: Mapped[str | None] = mapped_column(sa.String(16))
    signature_image: Mapped[str | None] = mapped_column(sa.Text)  # data:image/png;base64,…
    payment_method: Mapped[str | None] = mapped_column(sa.String(20))
    old_parts: Mapped[str | None] = mapped_column(sa.String(20))
    free_wash: Mapped[bool] = mapped_column(nullable=False, default=False)
    # Later promises agreed with the customer (a delay): [{from, to, reason, agreed_by, channel, at, by}]
    promise_revisions: Mapped[list | None] = mapped_column(JSONType, default=list)

    # Workshop
    team: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    technician_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    priority: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="normal")
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rework_count: Mapped[int] = mapped_column(nullable=False, default=0)
    repair_completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    washed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parking_spot: Mapped[str | None] = mapped_column(sa.String(20))  # where the finished car waits

    # Delivery and settlement (交车, 结算单)
    customer_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pickup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_signed_by: Mapped[str | None] = mapped_column(sa.String(120))
    delivery_check: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    paid_amount: Mapped[Decimal | None] = mapped_column(Money)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_service_date: Mapped[date | None] = mapped_column(sa.Date)
    next_service_km: Mapped[int | None] = mapped_column()
    preferred_callback_time: Mapped[str | None] = mapped_column(sa.String(64))

    # Follow-up (跟踪服务)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_outcome: Mapped[str | None] = mapped_column(sa.String(20))
    follow_up_attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    satisfaction: Mapped[int | None] = mapped_column()
    follow_up_note: Mapped[str | None] = mapped_column(sa.Text)
    # "not satisfied" (不满意) ticked at the call, whatever the score: it opens a complaint like a low score
    not_satisfied: Mapped[bool] = mapped_column(nullable=False, default=False)
    not_satisfied_reason: Mapped[str | None] = mapped_column(sa.Text)

    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)

    # selectin, not joined: the engine loads a case FOR UPDATE, which PostgreSQL refuses on outer joins.
    vehicle = relationship("Vehicle", lazy="selectin")
    customer = relationship("Customer", lazy="selectin")
    assignee = relationship("User", foreign_keys="WorkOrder.assignee_id", lazy="selectin")
    technician = relationship("User", foreign_keys="WorkOrder.technician_id")
    store = relationship("Store")
    parent = relationship("WorkOrder", remote_side="WorkOrder.id", foreign_keys="WorkOrder.parent_id")
    lines: Mapped[list["WorkOrderLine"]] = relationship(
        back_populates="work_order", order_by="WorkOrderLine.position", cascade="all, delete-orphan")
    checks: Mapped[list["WorkOrderCheck"]] = relationship(
        back_populates="work_order", order_by="WorkOrderCheck.id", cascade="all, delete-orphan")
    adjustments: Mapped[list["WorkOrderAdjustment"]] = relationship(
        back_populates="work_order", order_by="WorkOrderAdjustment.id", cascade="all, delete-orphan")
    payments: Mapped[list["WorkOrderPayment"]] = relationship(
        back_populates="work_order", order_by="WorkOrderPayment.id", cascade="all, delete-orphan")

    # --- money: computed in one place, workorders/settlement.py -------------------------------
    def totals(self, decisions=("approved",)) -> dict[str, Decimal]:
        """Sums per pay type (and labour/parts) of the lines with these decisions, to the fen."""
        from . import settlement

        return settlement.totals(settlement.compute(self.lines, (), (), decisions))

    @property
    def settlement(self):
        """Lines, adjustments, every payer's share and the customer's payments (settlement.Settlement)."""
        from . import settlement

        return settlement.of(self)

    @property
    def approved_totals(self) -> dict[str, Decimal]:
        return self.totals(("approved",))

    @property
    def estimate_totals(self) -> dict[str, Decimal]:
        """What was quoted: everything not declined."""
        return self.totals(("proposed", "approved", "deferred"))

    @property
    def promise_history(self) -> list[dict]:
        """The agreed delays, oldest first, with their times as datetimes (pages and printout)."""
        def when(value):
            return datetime.fromisoformat(value) if value else None

        return [{**r, "from": when(r.get("from")), "to": when(r.get("to")), "at": when(r.get("at"))}
                for r in self.promise_revisions or []]

    @property
    def has_signature_image(self) -> bool:
        return bool(self.signature_image)

    @property
    def customer_total(self) -> Decimal:
        """The customer's share after adjustments (discounts, waivers, deductible …)."""
        return self.settlement.customer

    # --- checks --------------------------------------------------------------------------------
    def current_checks(self) -> list["WorkOrderCheck"]:
        """The checks of the current round (a failed check starts a new round)."""
        return [c for c in self.checks if c.round == self.rework_count]

    def passed_stage(self, stage: str) -> bool:
        return any(c.stage == stage and c.passed for c in self.current_checks())

    @property
    def pending_extra_lines(self) -> list["WorkOrderLine"]:
        return [ln for ln in self.lines if ln.is_extra and ln.decision == "proposed"]


class WorkOrderLine(db.Model):
    """A labour line (operation, hours, rate) or a parts line (part no., qty, unit price).

    Lines are the unit of approval and payment: each has a pay type and the customer's decision.
    """

    __tablename__ = "work_order_lines"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False)  # labour | part
    description: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    operation_code: Mapped[str | None] = mapped_column(sa.String(32))
    part_id: Mapped[int | None] = mapped_column(sa.ForeignKey("parts.id"))
    part_number: Mapped[str | None] = mapped_column(sa.String(40))
    # Two decimals: labour hours (1.50) or parts quantity (4.00, or 3.75 litres of oil).
    quantity: Mapped[Decimal] = mapped_column(Money, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    pay_type: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="customer")
    decision: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="proposed")
    warranty_status: Mapped[str | None] = mapped_column(sa.String(12))
    availability: Mapped[str | None] = mapped_column(sa.String(10))  # in_stock | on_order
    eta: Mapped[date | None] = mapped_column(sa.Date)
    safety_related: Mapped[bool] = mapped_column(nullable=False, default=False)
    is_extra: Mapped[bool] = mapped_column(nullable=False, default=False)  # additional work (增项)
    # covered by the vehicle's first free service (首保): free to the customer (first_service.py)
    free_service: Mapped[bool] = mapped_column(nullable=False, default=False)
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decision_channel: Mapped[str | None] = mapped_column(sa.String(16))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_signed_by: Mapped[str | None] = mapped_column(sa.String(120))
    declined_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done: Mapped[bool] = mapped_column(nullable=False, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    work_order: Mapped[WorkOrder] = relationship(back_populates="lines")

    @property
    def amount(self) -> Decimal:
        from .settlement import line_amount

        return line_amount(self.quantity, self.unit_price)


ADJUSTMENT_KINDS = ("goodwill_discount", "labour_waiver", "deductible", "shortfall")
PAYERS = ("customer", "insurer", "manufacturer", "dealer")
PAYMENT_KINDS = ("payment", "refund")


class WorkOrderAdjustment(db.Model):
    """An adjustment line of the bill: `amount` of the bill moves from one payer to another
    (a complaint's goodwill discount or labour waiver, the insurer's deductible, an approved shortfall)."""

    __tablename__ = "work_order_adjustments"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="adjustment_amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    from_payer: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    to_payer: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    # The complaint whose resolution granted it (goodwill); no foreign key object is loaded from here.
    complaint_id: Mapped[int | None] = mapped_column(sa.ForeignKey("complaints.id"), index=True)
    agreed_by: Mapped[str | None] = mapped_column(sa.String(120))  # the customer's consent, or the manager
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    work_order: Mapped[WorkOrder] = relationship(back_populates="adjustments")


class WorkOrderPayment(db.Model):
    """Money the customer paid at the cashier (one row per method), or a refund to the customer."""

    __tablename__ = "work_order_payments"
    __table_args__ = (sa.CheckConstraint("amount > 0", name="payment_amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(8), nullable=False, default="payment")  # payment | refund
    method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.String(64))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    work_order: Mapped[WorkOrder] = relationship(back_populates="payments")


class WorkOrderCheck(db.Model):
    """One signed check (self-check 自检, team-leader 班组长检验, final QC 总检) with per-item results."""

    __tablename__ = "work_order_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_order_id: Mapped[int] = mapped_column(sa.ForeignKey("work_orders.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    round: Mapped[int] = mapped_column(nullable=False, default=0)  # = rework_count when signed
    stage: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    passed: Mapped[bool] = mapped_column(nullable=False)
    items: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # [{item, passed, note}]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    recommendations: Mapped[str | None] = mapped_column(sa.Text)
    signed_by: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)

    work_order: Mapped[WorkOrder] = relationship(back_populates="checks")


class Part(TimestampMixin, db.Model):
    """The store's parts stock (备品库存), checked when a parts line is estimated."""

    __tablename__ = "parts"
    __table_args__ = (sa.UniqueConstraint("store_id", "part_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id"), nullable=False, index=True)
    part_number: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    stock_qty: Mapped[int] = mapped_column(nullable=False, default=0)
    lead_time_days: Mapped[int] = mapped_column(nullable=False, default=3)
    safety_related: Mapped[bool] = mapped_column(nullable=False, default=False)
