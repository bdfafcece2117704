"""The customer's message language: `ContactPreference.locale` ("zh" by default, or "en") picks the text a
message is written in — when it is queued, and for a new case's draft when it goes out — and the language
the customer status page opens in. Dates stay in the store's time zone in either language."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from claimdesk.core import uow
from claimdesk.core.errors import ValidationFailed
from claimdesk.customers.models import Customer
from claimdesk.extensions import db
from claimdesk.messaging import sending, services, templates
from claimdesk.messaging.models import ContactPreference, MessageTemplate
from tests.complaints.factories import open_complaint
from tests.factories import CustomerFactory
from tests.messaging.conftest import messages, request_extra

EN_EXTRA = "we found additional work on"  # in the English default of extra_work_approval
ZH_EXTRA = "维修中发现需增加项目"
EN_RECEIVED = "we have received your complaint"
ZH_RECEIVED = "您的意见我们已收到"


def speaks(customer_id: int, locale: str) -> None:
    services.set_preference(db.session.get(Customer, customer_id), {"locale": locale})


# --- messages queued by a case action ------------------------------------------------------------
def test_an_english_customer_s_work_order_message_goes_out_in_english(wo_in_repair, mover):
    speaks(wo_in_repair.customer_id, "en")
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    assert msg.locale == "en" and EN_EXTRA in msg.body and ZH_EXTRA not in msg.body
    assert msg.params["link"] in msg.body and wo_in_repair.customer.name in msg.body
    assert sending.send(msg.id) == "sent"
    uow.commit()
    assert (msg.state, msg.locale) == ("sent", "en") and EN_EXTRA in msg.body


def test_a_chinese_customer_s_message_stays_chinese(wo_in_repair, mover):
    request_extra(mover, wo_in_repair)  # no preference at all: Chinese
    [msg] = messages(kind="extra_work_approval")
    assert msg.locale == "zh" and ZH_EXTRA in msg.body and EN_EXTRA not in msg.body


def test_an_edited_english_template_wins(wo_in_repair, mover):
    db.session.add(MessageTemplate(kind="extra_work_approval", locale="en", body="Hi {customer}, please decide: {link}"))
    db.session.add(MessageTemplate(kind="extra_work_approval", locale="zh", body="{customer}请确认：{link}"))
    speaks(wo_in_repair.customer_id, "en")
    request_extra(mover, wo_in_repair)
    [msg] = messages(kind="extra_work_approval")
    assert msg.body == f"Hi {wo_in_repair.customer.name}, please decide: {msg.params['link']}"


def test_a_revised_promise_in_english_keeps_the_store_s_time_zone(wo_in_repair, mover):
    speaks(wo_in_repair.customer_id, "en")
    new = (wo_in_repair.promised_at + timedelta(days=1, hours=2)).replace(microsecond=0)
    mover.run(wo_in_repair, "revise_promise", promised_at=new.isoformat(), reason="Parts on order",
              agreed_by="the owner", channel="phone")
    [msg] = messages(kind="promised_time_revised")
    local = new.astimezone(ZoneInfo(wo_in_repair.store.timezone)).strftime("%Y-%m-%d %H:%M")
    assert msg.locale == "en" and f"is now {local}." in msg.body


@pytest.mark.parametrize("locale, separator", [("en", ", "), ("zh", "、")])
def test_missing_documents_are_named_in_the_customer_s_language(daytime, advisor, store, locale, separator):
    from tests.claims.factories import advance, new_claim

    customer = CustomerFactory(store=store)
    speaks(customer.id, locale)
    claim = advance(new_claim(advisor, store, customer=customer), advisor, "documents")
    [msg] = messages(kind="documents_missing")
    with force_locale(locale):
        names = [str(d.label) for d in claim.missing_documents]
    assert len(names) > 1 and separator.join(names) in msg.body and msg.locale == locale


# --- a new case's draft: rendered as it goes out -------------------------------------------------
def test_new_complaints_drafts_go_out_in_each_customer_s_language(daytime, clerk):
    english, chinese = CustomerFactory(store=clerk.store), CustomerFactory(store=clerk.store)
    speaks(english.id, "en")
    open_complaint(clerk, english)
    open_complaint(clerk, chinese)
    assert sending.send_due(10) == 2  # one batch, both languages
    uow.commit()
    to_english, to_chinese = messages(kind="complaint_received")
    assert (to_english.state, to_english.locale) == ("sent", "en")
    assert EN_RECEIVED in to_english.body and ZH_RECEIVED not in to_english.body
    assert (to_chinese.state, to_chinese.locale) == ("sent", "zh") and ZH_RECEIVED in to_chinese.body


def test_a_draft_takes_the_edited_english_template(daytime, clerk):
    db.session.add(MessageTemplate(kind="complaint_received", locale="en", body="Dear {customer}: noted. {link}"))
    customer = CustomerFactory(store=clerk.store)
    speaks(customer.id, "en")
    open_complaint(clerk, customer)
    assert sending.send_due(10) == 1
    uow.commit()
    [msg] = messages(kind="complaint_received")
    assert msg.body.startswith(f"Dear {customer.name}: noted. ") and "/s/" in msg.body


@pytest.mark.parametrize("before, after, text", [("zh", "en", EN_RECEIVED), ("en", "zh", ZH_RECEIVED)])
def test_the_language_at_sending_time_wins_over_the_one_at_creation(daytime, clerk, before, after, text):
    customer = CustomerFactory(store=clerk.store)
    speaks(customer.id, before)
    open_complaint(clerk, customer)
    [draft] = messages(kind="complaint_received")
    assert services.is_draft(draft)
    speaks(customer.id, after)  # the customer says so on the phone before the sender runs
    uow.commit()
    assert sending.send_due(10) == 1
    uow.commit()
    assert draft.locale == after and text in draft.body


def test_a_batch_in_both_languages_reads_and_writes_once(daytime, clerk):
    customers = [CustomerFactory(store=clerk.store) for _ in range(4)]
    for customer in customers[::2]:
        speaks(customer.id, "en")
    for customer in customers:  # drafts alternating English, Chinese, English, Chinese
        open_complaint(clerk, customer)
    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert sending.send_due(10) == 4
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert len([s for s in seen if "FROM message_templates" in s]) == 1  # every language's texts at once
    assert len([s for s in seen if s.startswith("UPDATE messages")]) == 1  # one executemany, not one each
    uow.commit()
    assert [m.locale for m in messages(kind="complaint_received")] == ["en", "zh", "en", "zh"]


# --- the preference: API, page, service ----------------------------------------------------------
def test_api_locale_round_trips_and_an_unknown_one_changes_nothing(api_as, advisor, store):
    customer = CustomerFactory(store=store)
    uow.commit()
    api = api_as(advisor)
    path = f"customers/{customer.id}/contact-preference"
    assert api.get(path).json["locale"] == "zh"  # no preference yet: Chinese
    r = api.put(path, json={"locale": "en"})
    assert r.status_code == 200 and r.json["locale"] == "en"
    assert api.get(path).json["locale"] == "en"
    r = api.put(path, json={"locale": "fr", "consent": True, "channel": "email", "email": "a@example.com"})
    assert r.status_code == 422 and r.json["error"]["code"] == "validation_error"
    assert "locale" in r.json["error"]["fields"]
    after = api.get(path).json
    assert (after["locale"], after["consent"], after["channel"]) == ("en", None, "sms")
    r = api.put(path, json={"channel": "sms"})  # leaving it out keeps it
    assert r.status_code == 200 and r.json["locale"] == "en"


def test_the_openapi_spec_has_the_locale(client):
    spec = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert spec["ContactPreferenceIn"]["properties"]["locale"]["enum"] == list(templates.LOCALES)
    assert "locale" in spec["ContactPreferenceOut"]["properties"]


def test_the_service_refuses_an_unknown_locale(store):
    customer = CustomerFactory(store=store)
    speaks(customer.id, "en")
    with pytest.raises(ValidationFailed) as err:
        services.set_preference(customer, {"locale": "de"})
    assert "locale" in err.value.fields
    assert services.customer_locale(customer.id) == "en"


def test_the_customer_s_preference_form_shows_and_sets_the_language(client, login, advisor, wo_in_repair):
    uow.commit()
    login(advisor)
    page = f"/messaging/cases/work_order/{wo_in_repair.id}"
    html = client.get(page).get_data(as_text=True)
    assert 'name="locale"' in html and 'data-customer-locale="zh"' in html
    form = {"consent": "", "channel": "sms", "locale": "en"}
    post = f"/messaging/customers/{wo_in_repair.customer_id}/preference"
    assert client.post(post, data=form, headers={"Referer": page}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ContactPreference, wo_in_repair.customer_id).locale == "en"
    assert 'data-customer-locale="en"' in client.get(page).get_data(as_text=True)
    resp = client.post(post, data={**form, "locale": "xx", "consent": "yes"}, headers={"Referer": page})
    assert resp.status_code == 302
    db.session.expire_all()
    pref = db.session.get(ContactPreference, wo_in_repair.customer_id)
    assert (pref.locale, pref.consent) == ("en", None)  # refused: nothing of the form landed


# --- the status page -----------------------------------------------------------------------------
def _path(case) -> str:
    return services.link_url(services.link_for(case)).split("localhost:5000", 1)[1]


def test_the_status_page_opens_in_the_customer_s_language(client, wo_in_repair, mover):
    speaks(wo_in_repair.customer_id, "en")
    request_extra(mover, wo_in_repair)
    path = _path(wo_in_repair)
    uow.commit()
    html = client.get(path).get_data(as_text=True)
    assert "Additional work waiting for your decision" in html and 'lang="en"' in html
    html = client.get(path + "?lang=zh").get_data(as_text=True)  # the page's switch still wins …
    assert "待您确认的增项" in html
    assert "待您确认的增项" in client.get(path).get_data(as_text=True)  # … and is remembered


def test_a_chinese_customer_s_page_ignores_the_staff_language(client, login, advisor, wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    path = _path(wo_in_repair)
    uow.commit()
    login(advisor)
    client.post("/lang/en")  # a colleague opens the link in a browser set to English
    assert "待您确认的增项" in client.get(path).get_data(as_text=True)
    assert 'lang="en"' in client.get("/customers/").get_data(as_text=True)  # and the staff pages stay English

