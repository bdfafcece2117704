"""The one place a work order's money is computed (结算): lines by pay type, adjustment lines, and
each payer's share; every page, printout, API answer, claim and dashboard figure reads it from here.

Rounding, the one rule: every money value is rounded half-up to the fen (0.01 CNY) once, where it is
born — a line's amount (quantity × unit price), an adjustment's amount, a payment. Everything after
that is sums and differences of whole fen, which are exact in Decimal, so the shares always add up
to the total to the fen. Floats never enter.

Adjustments move part of the bill from one payer to another; they never change the total:
- goodwill discount / labour waiver (from a complaint resolution): customer → dealer;
- insurer deductible (免赔): insurer → customer;
- approved-amount shortfall (the insurer approved less than the insurance lines): insurer → customer
  (with the customer's consent) or → dealer (written off by a manager).

The functions here are pure: they take loaded lines, adjustments and payments (ORM rows or anything
with the same attributes) and return a `Settlement`; nothing is read from or written to the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

#: who pays; the order is the order of the printed settlement
PAYERS = ("customer", "insurer", "manufacturer", "dealer")
#: a line's pay type → its payer
PAYER_OF_PAY_TYPE = {"customer": "customer", "insurance": "insurer", "warranty": "manufacturer",
                     "internal": "dealer"}
#: adjustment kind → (payer relieved, payers who may take it over)
ADJUSTMENT_KINDS = {
    "goodwill_discount": ("customer", ("dealer",)),
    "labour_waiver": ("customer", ("dealer",)),
    "deductible": ("insurer", ("customer",)),
    "shortfall": ("insurer", ("customer", "dealer")),
}


def cent(value) -> Decimal:
    """The rounding rule of claimdesk money: half-up to the fen. Floats go through their repr."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price) -> Decimal:
    return cent(Decimal(quantity) * Decimal(unit_price))


@dataclass(frozen=True)
class AdjustmentRow:
    """One adjustment as shown on the bill: `amount` moves from `from_payer` to `to_payer`."""

    id: int | None
    kind: str
    description: str
    amount: Decimal
    from_payer: str
    to_payer: str
    complaint_id: int | None = None
    agreed_by: str | None = None


@dataclass(frozen=True)
class Settlement:
    labour: Decimal
    parts: Decimal
    total: Decimal
    #: approved lines per pay type (before adjustments)
    by_pay_type: dict[str, Decimal]
    adjustments: list[AdjustmentRow]
    #: what each payer owes after adjustments; sums to `total`
    shares: dict[str, Decimal]
    #: the customer's money received: payments − refunds
    received: Decimal
    refunded: Decimal
    payments: list = field(default_factory=list)

    @property
    def customer(self) -> Decimal:
        return self.shares["customer"]

    @property
    def insurer(self) -> Decimal:
        return self.shares["insurer"]

    @property
    def manufacturer(self) -> Decimal:
        return self.shares["manufacturer"]

    @property
    def dealer(self) -> Decimal:
        return self.shares["dealer"]

    @property
    def balance_due(self) -> Decimal:
        """Still to collect from the customer (negative: the customer overpaid and is owed a refund)."""
        return self.customer - self.received

    @property
    def overpaid(self) -> Decimal:
        return max(-self.balance_due, ZERO)

    @property
    def goodwill(self) -> Decimal:
        """What the dealer gave up for goodwill (discounts and waivers)."""
        return sum((a.amount for a in self.adjustments if a.kind in ("goodwill_discount", "labour_waiver")), ZERO)

    def as_dict(self) -> dict:
        return {"labour": self.labour, "parts": self.parts, "total": self.total,
                "by_pay_type": dict(self.by_pay_type), "shares": dict(self.shares),
                "adjustments": [a.__dict__ for a in self.adjustments], "received": self.received,
                "refunded": self.refunded, "balance_due": self.balance_due, "goodwill": self.goodwill}


class ShareNegative(ValueError):
    """An adjustment would leave a payer with less than nothing to pay."""

    def __init__(self, payer: str, share: Decimal):
        super().__init__(f"{payer} share would be {share}")
        self.payer, self.share = payer, share


def adjustment_row(adj) -> AdjustmentRow:
    return AdjustmentRow(getattr(adj, "id", None), adj.kind, adj.description or "", cent(adj.amount),
                         adj.from_payer, adj.to_payer, getattr(adj, "complaint_id", None),
                         getattr(adj, "agreed_by", None))


def compute(lines, adjustments=(), payments=(), decisions=("approved",)) -> Settlement:
    """The settlement of these lines (those with `decisions`), adjustments and customer payments.

    Raises ShareNegative when the adjustments take more from a payer than the lines give it.
    """
    by_pay_type = {p: ZERO for p in PAYER_OF_PAY_TYPE}
    labour = parts = ZERO
    for ln in lines:
        if ln.decision not in decisions:
            continue
        amount = line_amount(ln.quantity, ln.unit_price)
        by_pay_type[ln.pay_type] += amount
        if ln.kind == "labour":
            labour += amount
        else:
            parts += amount
    shares = {p: ZERO for p in PAYERS}
    for pay_type, amount in by_pay_type.items():
        shares[PAYER_OF_PAY_TYPE[pay_type]] += amount
    rows = [adjustment_row(a) for a in adjustments]
    for row in rows:
        shares[row.from_payer] -= row.amount
        shares[row.to_payer] += row.amount
    for payer in PAYERS:
        if shares[payer] < ZERO:
            raise ShareNegative(payer, shares[payer])
    received = refunded = ZERO
    pays = list(payments)
    for p in pays:
        if p.kind == "refund":
            refunded += cent(p.amount)
        else:
            received += cent(p.amount)
    return Settlement(labour=labour, parts=parts, total=labour + parts, by_pay_type=by_pay_type,
                      adjustments=rows, shares=shares, received=received - refunded, refunded=refunded,
                      payments=pays)


def of(wo, decisions=("approved",)) -> Settlement:
    """The settlement of a loaded work order (its lines, adjustments and payments)."""
    return compute(wo.lines, wo.adjustments, wo.payments, decisions)


def estimate_of(wo) -> Settlement:
    """What was quoted: every line not declined, with the adjustments that fit (none refused)."""
    try:
        return compute(wo.lines, wo.adjustments, wo.payments, ("proposed", "approved", "deferred"))
    except ShareNegative:
        return compute(wo.lines, (), wo.payments, ("proposed", "approved", "deferred"))


def totals(s: Settlement) -> dict[str, Decimal]:
    """The legacy `totals` shape (per pay type, labour, parts, total) of the lines before adjustments."""
    return {**s.by_pay_type, "labour": s.labour, "parts": s.parts, "total": s.total}
