"""The Chinese UI: a manager switches to 中文 and walks the pages of the journeys (complaints, work orders,
claims, SLA timers, inbox) with cases in the states whose forms staff fill in. No English UI sentence may
be left: every msgid of four words or more from the code and templates (all domains' catalogues), and
every four-word-or-longer literal part of a msgid with placeholders, must be absent from what is shown."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from playwright.sync_api import expect

from claimdesk import i18n
from claimdesk.claims.workflow import WF as CLAIMS
from claimdesk.complaints.workflow import WF as COMPLAINTS
from claimdesk.core import clock, uow
from claimdesk.sla import batch
from claimdesk.workorders.workflow import WF as WORK_ORDERS
from tests.claims.factories import InsurerFactory, advance, new_claim
from tests.complaints.factories import open_complaint
from tests.e2e.flows import authorised_work_order
from tests.factories import CustomerFactory, VehicleFactory

#: Monday 2 March 2026, 10:00 in Guangzhou: inside business hours, so default business-hour targets run
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}")


def english_sentences() -> dict[str, set[str]]:
    """Every UI text of 4+ words the code can show (literal parts of msgids with placeholders), with the
    domains whose code shows it."""
    out: dict[str, set[str]] = {}
    for domain in i18n.domains():
        for message in i18n.extract(domain):
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            for msgid in ids:
                for part in PLACEHOLDER.split(msgid):
                    part = " ".join(part.split()).strip(" .,:;·()")
                    if len(part.split()) >= 4:
                        out.setdefault(part, set()).add(domain)
    return out


def without_catalogue() -> set[str]:
    """Domains with no zh catalogue at all yet (tests/test_i18n.py fails for them on its own)."""
    return {d for d in i18n.domains() if not i18n.po_path(d, "zh").exists()}


_VISIBLE_TEXT = """() => {
  document.querySelectorAll('details').forEach(d => d.open = true);
  const parts = [document.title, document.body.innerText];
  document.querySelectorAll('option').forEach(o => parts.push(o.textContent));
  document.querySelectorAll('[placeholder],[title],[aria-label]').forEach(el => {
    for (const a of ['placeholder', 'title', 'aria-label']) { if (el.getAttribute(a)) parts.push(el.getAttribute(a)); }
  });
  document.querySelectorAll('input[type=submit],input[type=button]').forEach(el => parts.push(el.value));
  return parts.join('\\n');
}"""


def leftovers(page, sentences: set[str]) -> list[str]:
    text = " ".join(page.evaluate(_VISIBLE_TEXT).split())
    return sorted(s for s in sentences if s in text)


@pytest.fixture
def cases(store, advisor, clerk, make_user):
    """Cases in the states whose pages and forms staff see, a day of SLA time later (timers breached)."""
    clock.set_now(T0)
    manager = make_user("manager", username="zhou", full_name="周经理", is_store_manager=True)
    tech = make_user("workshop", username="wu", full_name="吴师傅", team="机电组")
    customer = CustomerFactory(store=store, name="王芳", phone="13912345678")
    vehicle = VehicleFactory(customer=customer, plate="粤B12345", model="朗逸")
    data = {"customer": customer, "manager": manager}

    data["listen"] = open_complaint(clerk, customer, vehicle=vehicle, description="刹车异响", assignee_id=clerk.id)
    resolving = open_complaint(clerk, customer, vehicle=vehicle, description="等待时间太长", category="waiting_time")
    COMPLAINTS.perform(resolving, "listen", {"account": "等了三个小时"}, clerk)
    COMPLAINTS.perform(resolving, "apologise", {"note": "已致歉"}, clerk)
    data["resolve"] = resolving
    following = open_complaint(clerk, customer, vehicle=vehicle, description="价格太高", category="price")
    for action, fields in (("listen", {"account": "工时费贵"}), ("apologise", {"note": "已致歉"}),
                           ("resolve", {"attribution": "misunderstanding", "resolution": "解释了收费标准"})):
        COMPLAINTS.perform(following, action, fields, clerk)
    data["follow_up"] = following
    uow.commit()

    data["estimated"] = authorised_work_order(advisor, vehicle, "发动机异响")
    data["quality_check"] = qc = authorised_work_order(advisor, vehicle, "空调不制冷")
    for action, fields in (("dispatch", {"team": "机电组"}), ("complete_repair", {}),
                           ("pass_check", {"stage": "self"})):
        WORK_ORDERS.perform(qc, action, fields, tech)
    uow.commit()

    insurer = InsurerFactory(name="人保财险", short_name="人保")
    with force_locale("zh"):  # the work order a claim opens is described in the advisor's language
        data["assessment"] = assessing = new_claim(advisor, store, insurer, customer=customer, vehicle=vehicle,
                                                   description="追尾，后保险杠受损")
        advance(assessing, advisor, "assessment")
        other_car = VehicleFactory(customer=customer, plate="粤B67890", model="迈腾")
        data["documents"] = docs = new_claim(advisor, store, insurer, customer=customer, vehicle=other_car,
                                             description="侧面刮擦")
        advance(docs, advisor, "documents")
        CLAIMS.perform(docs, "collect_document", {"kind": "policy", "status": "received"}, advisor)
        uow.commit()

    # Manufacturer warranty claims: a draft missing its evidence, one decided with a rejected line.
    from claimdesk.warranty.workflow import WF as WARRANTY
    from tests.warranty.factories import brand_rule, open_claim, warranty_work_order
    from tests.warranty.test_flow import give_evidence

    brand_rule(preauth_threshold=None)
    data["warranty_draft"] = open_claim(advisor, warranty_work_order(advisor, store))
    data["warranty_decided"] = decided = open_claim(advisor, warranty_work_order(advisor, store))
    give_evidence(decided, advisor)
    WARRANTY.perform(decided, "submit", {"manufacturer_claim_number": "FAW-VW-2026-001"}, advisor)
    WARRANTY.perform(decided, "record_decision", {"lines": [
        {"line_id": ln.id, "decision": "rejected" if ln.kind == "part" else "approved",
         **({"reason_code": "part_not_returned", "reason_text": "旧件未回运"} if ln.kind == "part" else {})}
        for ln in decided.lines]}, advisor)
    uow.commit()

    # A day later nobody has acted on the new complaint or the assessment: the SLA jobs breach them.
    clock.set_now(T0 + timedelta(days=1))
    batch.process_due([c for c, _g, _l in batch.due_clock_ids(clock.now())])
    uow.commit()
    return data


def test_chinese_ui_has_no_untranslated_sentences(staff, cases):
    sentences = english_sentences()
    assert len(sentences) > 300  # the code and templates were read
    m = staff(cases["manager"])
    page = m.page
    page.clock.set_fixed_time(clock.now())
    m.switch_language()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("nav")).to_contain_text("退出")

    pages = {
        "home": "/",
        "complaints-mine": "/complaints/mine",
        "complaints-list": "/complaints/",
        "complaint-intake": f"/complaints/new?customer_id={cases['customer'].id}",
        "complaint-listen": f"/complaints/{cases['listen'].id}",
        "complaint-resolve": f"/complaints/{cases['resolve'].id}",
        "complaint-follow-up": f"/complaints/{cases['follow_up'].id}",
        "complaint-report": f"/complaints/{cases['follow_up'].id}/report",
        "work-orders": "/work-orders/",
        "workshop-board": "/work-orders/board",
        "work-order-authorised": f"/work-orders/{cases['estimated'].id}",
        "work-order-quality-check": f"/work-orders/{cases['quality_check'].id}",
        "claims-board": "/claims/",
        "claim-assessment": f"/claims/{cases['assessment'].id}",
        "claim-documents": f"/claims/{cases['documents'].id}",
        "warranty-list": "/warranty/",
        "warranty-draft": f"/warranty/{cases['warranty_draft'].id}",
        "warranty-decided": f"/warranty/{cases['warranty_decided'].id}",
        "warranty-sheet": f"/warranty/{cases['warranty_decided'].id}/print",
        "warranty-rules": "/warranty/rules",
        "warranty-receivables": "/warranty/receivables",
        "reconciliation": "/dashboard/reconciliation",
        "customer": f"/customers/{cases['customer'].id}",
        "sla-timers": "/sla/timers",
        "sla-policies": "/sla/policies",
        "inbox": "/notifications/",
        "dashboard": "/dashboard/",
        "monthly-report": "/dashboard/report",
        "annual-report": "/dashboard/report?period=year",
    }
    found = {}
    untranslated_fields = {}
    for name, path in pages.items():
        m.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        left = leftovers(page, sentences)
        if left:
            found[name] = left
        # the timeline's field names are words, not sentences: each must be a translated label
        plain = sorted({t for t in page.locator(".timeline dt").all_inner_texts() if t.isascii()})
        if plain:
            untranslated_fields[name] = plain
        m.shot(f"zh-{name}")
    assert not untranslated_fields, f"timeline fields without a Chinese label: {untranslated_fields}"
    # Case states are words, not sentences: every state shown in the dashboard's backlog and in a case's
    # timeline is a translated label, never the state's key.
    from claimdesk.core.workflow import REGISTRY

    raw_states = {st.replace("_", " ") for wf in REGISTRY.values() for st in wf.states}
    m.goto("/dashboard/")
    stages = page.locator("table[data-section='backlog'] tbody td:nth-child(2)").all_inner_texts()
    assert stages and not raw_states & {t.strip() for t in stages}, stages
    m.goto(f"/work-orders/{cases['quality_check'].id}")
    timeline = page.locator(".timeline").inner_text()
    assert not any(f" {st} " in f" {timeline} " for st in ("in repair", "quality check", "reception")), timeline

    # Text of a domain that has no Chinese catalogue yet is expected to be English: reported, not failed
    # here (test_i18n fails for the missing catalogue). Once its catalogue exists, its leftovers fail too.
    pending = without_catalogue()
    waiting = {name: [t for t in left if sentences[t] <= pending] for name, left in found.items()}
    wrong = {name: [t for t in left if not sentences[t] <= pending] for name, left in found.items()}
    wrong = {name: left for name, left in wrong.items() if left}
    assert not wrong, "English left in the Chinese UI:\n" + "\n".join(
        f"  {name}: {left}" for name, left in wrong.items())
    waiting = {name: left for name, left in waiting.items() if left}
    if waiting:
        pytest.xfail(f"no zh catalogue yet for {', '.join(sorted(pending))}; English shown on: "
                     + "; ".join(f"{name} ({len(left)})" for name, left in waiting.items()))
