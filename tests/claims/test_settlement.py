"""One bill: the work order's settlement, the claim's invoice (= the work order's insurance share), the
claim's closing balance and the delivery payment agree — to the fen — after every step through the API."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from claimdesk.core.clock import now
from tests.claims.factories import InsurerFactory, new_claim, verify_all

WO = "work-orders"


def LATER():  # noqa: N802
    return (now() + timedelta(days=2)).isoformat()
D = Decimal


@pytest.fixture
def insurer():
    return InsurerFactory(name="PICC 人保", short_name="PICC")


def ok(resp):
    assert resp.status_code == 200, resp.json
    return resp.json


def line(description, amount, pay_type="insurance", kind="labour"):
    return {"kind": kind, "description": description, "quantity": "1", "unit_price": amount, "pay_type": pay_type}


def to_ready(api, shop, wo_id):
    ok(shop.action(WO, wo_id, "dispatch", team="Body & paint"))
    ok(shop.action(WO, wo_id, "complete_repair"))
    from claimdesk.core import uow
    from claimdesk.extensions import db
    from claimdesk.workorders.models import WorkOrder
    from claimdesk.workorders.workflow import WF as WO_WF
    from tests.factories import check_signer

    wo = db.session.get(WorkOrder, wo_id)
    db.session.refresh(wo)
    for stage in ("self", "team_lead", "final"):  # one person signs one check
        WO_WF.perform(wo, "pass_check", {"stage": stage}, check_signer(wo.store, stage))
    uow.commit()


def test_claim_invoices_the_work_orders_insurance_share(advisor, workshop, store, insurer, api_as, login, client):
    """The demo defect: a work order billing ¥3,200.00 to the insurer, an assessment approving ¥3,900.00,
    a payout of ¥2,000.00. The claim used to invoice ¥3,900.00 and charge the customer ¥1,900.00 at close."""
    api, shop = api_as(advisor), api_as(workshop)
    claim = new_claim(advisor, store, insurer)
    wo_id = ok(api.action("claims", claim.id, "vehicle_arrived"))["work_order_id"]
    ok(api.action("claims", claim.id, "assess", assessor_name="Zhang", approved_amount="3900.00"))
    ok(api.action(WO, wo_id, "estimate", lines=[line("Rear bumper", "2000.00", kind="part"),
                                                  line("Paint", "1200.00")]))
    ok(api.action(WO, wo_id, "authorise", signed_by="Wang", promised_at=LATER()))
    to_ready(api, shop, wo_id)
    body = api.get(f"claims/{claim.id}").json
    assert body["state"] == "documents" and body["money"]["invoiced"] == "3200.00"
    assert body["money"]["approved_gap"] == "-700.00"
    # the invoice is not a free figure any more
    verify_all(claim, advisor)
    bad = api.action("claims", claim.id, "submit", invoiced_amount="3900.00")
    assert bad.status_code == 422 and "invoiced_amount" in bad.json["error"]["fields"]
    body = ok(api.action("claims", claim.id, "submit"))
    assert body["claimed_amount"] == "3200.00" and body["invoiced_amount"] == "3200.00"
    ok(api.action("claims", claim.id, "record_payout", amount="2000.00", paid_at=now().isoformat()))
    html = login(advisor).get(f"/claims/{claim.id}").get_data(as_text=True)
    assert "the insurance share of work order" in html and "¥3,200.00" in html and "¥1,200.00" in html
    assert "The customer pays part of the invoice" in html
    body = ok(api.action("claims", claim.id, "close", shortfall_action="customer_owes"))
    assert body["money"]["customer_owes_amount"] == "1200.00" and body["money"]["unsettled"] == "0.00"


def test_deductible_moves_the_bill_from_insurer_to_customer(advisor, workshop, store, insurer, api_as):
    api, shop = api_as(advisor), api_as(workshop)
    claim = new_claim(advisor, store, insurer)
    wo_id = ok(api.action("claims", claim.id, "vehicle_arrived"))["work_order_id"]
    ok(api.action("claims", claim.id, "assess", assessor_name="Zhang", approved_amount="5000.00"))
    ok(api.action(WO, wo_id, "estimate", lines=[line("Door", "4800.00"), line("Wiper", "80.50", "customer")]))
    ok(api.action(WO, wo_id, "authorise", signed_by="Wang", promised_at=LATER()))
    wo = ok(api.action(WO, wo_id, "add_adjustment", kind="deductible", amount="500"))
    s = wo["settlement"]
    assert s["shares"] == {"customer": "580.50", "insurer": "4300.00", "manufacturer": "0.00", "dealer": "0.00"}
    assert s["total"] == "4880.50" and s["adjustments"][0]["from_payer"] == "insurer"
    assert api.get(f"claims/{claim.id}").json["money"]["invoiced"] == "4300.00"
    # more than the insurer's share: refused, nothing changes
    assert api.action(WO, wo_id, "add_adjustment", kind="deductible", amount="4300.01").status_code == 422
    assert api.get(f"{WO}/{wo_id}").json["settlement"]["shares"]["insurer"] == "4300.00"
    to_ready(api, shop, wo_id)
    verify_all(claim, advisor)
    wrong = api.action(WO, wo_id, "deliver", signed_by="Wang", payment_method="cash", paid_amount="80.50")
    assert wrong.status_code == 422
    body = ok(api.action(WO, wo_id, "deliver", signed_by="Wang",
                         payments=[{"method": "cash", "amount": "80.50"}, {"method": "wechat_pay", "amount": "500"}]))
    assert body["paid_amount"] == "580.50" and body["settlement"]["balance_due"] == "0.00"
    assert [p["method"] for p in body["payments"]] == ["cash", "wechat_pay"]


# --- the property: random bills, every step through the API -------------------------------------------
MONEY = st.decimals(min_value=D("0.01"), max_value=D("3000.00"), places=2)
PAY_TYPES = st.sampled_from(["customer", "insurance", "insurance", "warranty", "internal"])
LINE = st.tuples(st.sampled_from(["labour", "part"]), st.decimals(min_value=D("0.01"), max_value=D("9.99"), places=2),
                 MONEY, PAY_TYPES)
ADJUST = st.fixed_dictionaries({
    "kind": st.sampled_from(["goodwill_discount", "labour_waiver", "deductible", "shortfall"]),
    "amount": MONEY.map(str), "payer": st.sampled_from([None, "customer", "dealer"]),
    "agreed_by": st.sampled_from([None, "Owner Wang"])})
STEP = st.one_of(
    st.tuples(st.just("adjust"), ADJUST, st.booleans()),
    st.tuples(st.just("supplement"), MONEY.map(str), st.booleans()),
    st.tuples(st.just("pay"), MONEY.map(str), st.sampled_from(["cash", "bank_card", "alipay"])),
    st.tuples(st.just("refund"), st.one_of(st.none(), MONEY.map(str)), st.just("cash")),
)
AFTER = st.one_of(
    st.tuples(st.just("payout"), MONEY.map(str), st.booleans()),
    st.tuples(st.just("write_off"), MONEY.map(str), st.booleans()),
    st.tuples(st.just("charge"), MONEY.map(str), st.booleans()),
)


class Bill:
    """Reads the work order and the claim through the API and checks they agree after every step."""

    def __init__(self, api, wo_id, claim_id):
        self.api, self.wo_id, self.claim_id = api, wo_id, claim_id
        self.snapshot()

    def read(self):
        return self.api.get(f"{WO}/{self.wo_id}").json, self.api.get(f"claims/{self.claim_id}").json

    def snapshot(self):
        self.wo, self.claim = self.read()
        self.check()

    def check(self):
        s, money = self.wo["settlement"], self.claim["money"]
        shares = {k: D(v) for k, v in s["shares"].items()}
        assert sum(shares.values()) == D(s["total"])  # payer shares sum to the total
        assert all(v >= 0 for v in shares.values())
        assert D(s["total"]) == D(s["labour"]) + D(s["parts"])
        if any(ln["decision"] == "approved" for ln in self.wo["lines"]):
            assert D(money["invoiced"]) == shares["insurer"]  # the claim invoices the insurance share
        assert D(money["invoiced"]) - D(money["approved_total"]) == D(money["approved_gap"])
        settled = D(money["paid_total"]) + D(money["written_off_amount"]) + D(money["customer_owes_amount"])
        assert D(money["settled_total"]) == settled and D(money["unsettled"]) == D(money["invoiced"]) - settled
        assert D(money["unsettled"]) >= 0
        if self.claim["state"] == "closed":  # a closed claim balances to the fen
            assert D(money["invoiced"]) == settled
        if self.wo["state"] in ("delivered", "closed"):  # the customer paid exactly their share
            assert D(s["received"]) == shares["customer"] and D(self.wo["paid_amount"]) == shares["customer"]
        assert D(s["balance_due"]) == shares["customer"] - D(s["received"])

    def act(self, api, cases, action, **fields):
        case_id = self.wo_id if cases == WO else self.claim_id
        resp = api.action(cases, case_id, action, **fields)
        assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
        event(f"{action}: {resp.status_code}")
        if resp.status_code >= 400:  # a refused request changes nothing
            assert (self.wo, self.claim) == self.read(), (action, fields, resp.json)
        else:
            self.snapshot()
        return resp


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lines=st.lists(LINE, min_size=1, max_size=4), approved=MONEY, steps=st.lists(STEP, max_size=6),
       after=st.lists(AFTER, max_size=5), pay_right=st.booleans(), close_with=st.sampled_from(["customer_owes",
                                                                                               "write_off"]))
def test_money_agrees_after_every_step(advisor, manager, workshop, store, insurer, api_as,
                                       lines, approved, steps, after, pay_right, close_with):
    api, boss, shop = api_as(advisor), api_as(manager), api_as(workshop)
    claim = new_claim(advisor, store, insurer)
    wo_id = ok(api.action("claims", claim.id, "vehicle_arrived"))["work_order_id"]
    bill = Bill(api, wo_id, claim.id)
    bill.act(api, "claims", "assess", assessor_name="Zhang", approved_amount=str(approved))
    bill.act(api, WO, "estimate", lines=[
        {"kind": k, "description": f"line {i}", "quantity": str(q), "unit_price": str(p), "pay_type": t}
        for i, (k, q, p, t) in enumerate(lines)])
    bill.act(api, WO, "authorise", signed_by="Owner Wang", promised_at=LATER())
    for step in steps:
        kind = step[0]
        if kind == "adjust":
            fields = {k: v for k, v in step[1].items() if v is not None}
            bill.act(boss if step[2] else api, WO, "add_adjustment", **fields)
        elif kind == "supplement":
            bill.act(api, "claims", "supplement", description="hidden damage", amount=step[1], approved=step[2])
        elif kind == "pay":
            bill.act(api, WO, "record_payment", amount=step[1], method=step[2])
        elif kind == "refund":
            bill.act(api, WO, "refund", method=step[2], **({"amount": step[1]} if step[1] else {}))
    for pending in [s for s in bill.claim["supplements"] if s["status"] == "requested"]:
        bill.act(api, "claims", "decide_supplement", supplement_id=pending["id"], approved=True)
    to_ready(api, shop, wo_id)
    bill.snapshot()
    verify_all(claim, advisor)
    bill.snapshot()
    if D(bill.wo["settlement"]["balance_due"]) < 0:
        bill.act(api, WO, "refund", method="cash")
    due = D(bill.wo["settlement"]["balance_due"])
    if not pay_right:  # a wrong amount is refused and changes nothing
        assert bill.act(api, WO, "deliver", signed_by="Owner Wang", payment_method="cash",
                        paid_amount=str(due + D("0.01"))).status_code == 422
    bill.act(api, WO, "deliver", signed_by="Owner Wang", payment_method="cash", paid_amount=str(due))
    assert bill.wo["state"] == "delivered"
    if bill.claim["state"] != "documents":
        return  # nothing billed to the insurer: nothing to submit
    resp = bill.act(api, "claims", "submit")
    if resp.status_code != 200:
        assert D(bill.claim["money"]["invoiced"]) == 0 or D(bill.claim["money"]["approved_total"]) == 0
        return
    paid_at = now().isoformat()
    for kind, amount, flag in after:
        if kind == "payout":
            bill.act(api, "claims", "record_payout", amount=amount, paid_at=paid_at)
        elif kind == "write_off":
            bill.act(boss if flag else api, "claims", "write_off", amount=amount, reason="goodwill to the customer")
        else:
            bill.act(api, "claims", "charge_customer", amount=amount,
                     **({"consent_by": "Owner Wang"} if flag else {}))
    if not bill.claim["payouts"] and D(bill.claim["money"]["outstanding"]) > 0:
        bill.act(api, "claims", "record_payout", amount=bill.claim["money"]["outstanding"], paid_at=paid_at)
    if not bill.claim["payouts"]:
        return
    if close_with == "write_off":
        bill.act(api, "claims", "close", shortfall_action="write_off", write_off_reason="x")  # 403 or done
        if bill.claim["state"] != "closed":
            bill.act(boss, "claims", "close", shortfall_action="write_off", write_off_reason="deductible absorbed")
    else:
        bill.act(api, "claims", "close", shortfall_action="customer_owes")
    assert bill.claim["state"] == "closed"
    event("claim closed")
    # the closed claim's invoice is final: the insurer's share of the work order cannot change under it
    bill.act(api, WO, "add_adjustment", kind="deductible", amount="0.01")
