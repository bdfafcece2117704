"""The customer page's "Messages" card: how the customer is reached, the opt-out, the latest messages, and
the contact-preference form (the one messaging handler, which comes back to the customer page)."""
from __future__ import annotations

from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.messaging import services
from claimdesk.messaging.models import ContactPreference
from tests.factories import CustomerFactory
from tests.messaging.conftest import request_extra


def _customer(store, **kw):
    customer = CustomerFactory(store=store, phone="13812345678", **kw)
    uow.commit()
    return customer


def _page(client, customer):
    return client.get(f"/customers/{customer.id}")


def test_clerk_sees_the_card_with_the_masked_phone_and_the_latest_messages(login, clerk, wo_in_repair, mover):
    request_extra(mover, wo_in_repair)
    uow.commit()
    resp = login(clerk).get(f"/customers/{wo_in_repair.customer_id}")
    html = resp.get_data(as_text=True)
    phone = wo_in_repair.customer.phone
    assert resp.status_code == 200 and "data-customer-messages" in html
    assert f"{phone[:3]}****{phone[-4:]}" in html and f"· {phone}" not in html
    assert 'data-consent="unasked"' in html and 'data-opted-out="no"' in html
    assert f'/messaging/cases/work_order/{wo_in_repair.id}"' in html  # a message links its case's page
    assert "data-preference-form" in html


def test_a_role_without_the_messaging_permission_sees_no_card(login, workshop, store):
    customer = _customer(store)
    resp = _page(login(workshop), customer)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and customer.name in html
    assert "data-customer-messages" not in html and "data-preference-form" not in html


def test_an_admin_reads_the_card_but_gets_no_form(login, make_user, store):
    customer = _customer(store)
    html = _page(login(make_user("admin", username="boss")), customer).get_data(as_text=True)
    assert "data-customer-messages" in html and "data-preference-form" not in html


def test_editing_from_the_customer_page_saves_and_comes_back_to_it(client, login, clerk, store):
    customer = _customer(store)
    login(clerk)
    page = f"/customers/{customer.id}"
    assert f'name="next" value="{page}"' in _page(client, customer).get_data(as_text=True)
    resp = client.post(f"/messaging/customers/{customer.id}/preference",
                       data={"consent": "yes", "channel": "email", "email": "li@example.com", "locale": "en",
                             "next": page})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page)
    db.session.expire_all()
    pref = db.session.get(ContactPreference, customer.id)
    assert (pref.consent, pref.channel, pref.email, pref.locale) == (True, "email", "li@example.com", "en")
    html = client.get(page).get_data(as_text=True)
    assert 'data-consent="yes"' in html and "l***@example.com" in html and "English" in html


def test_a_refused_edit_answers_422_on_the_customer_page_and_changes_nothing(client, login, clerk, store):
    customer = _customer(store)
    services.set_preference(customer, {"consent": True, "locale": "zh"})
    uow.commit()
    login(clerk)
    page = f"/customers/{customer.id}"
    resp = client.post(f"/messaging/customers/{customer.id}/preference",
                       data={"consent": "no", "channel": "wechat", "wechat_openid": " ", "locale": "en",
                             "next": page})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert customer.name in html and "data-customer-messages" in html  # the customer page, not the case's
    assert 'data-error="wechat_openid"' in html and "OpenID" in html
    assert '<option value="wechat" selected>' in html  # the form as it was sent, to be fixed
    db.session.expire_all()
    pref = db.session.get(ContactPreference, customer.id)
    assert (pref.consent, pref.channel, pref.locale) == (True, "sms", "zh")


def test_an_opted_out_customer_shows_when_and_how(client, login, clerk, store):
    customer = _customer(store)
    assert services.inbound_sms(customer.phone, "TD") == 1
    uow.commit()
    pref = db.session.get(ContactPreference, customer.id)
    html = _page(login(clerk), customer).get_data(as_text=True)
    assert 'data-opted-out="yes"' in html and "replied TD to an SMS" in html
    assert str(pref.opted_out_at.year) in html


def test_the_form_goes_back_only_to_local_addresses(client, login, clerk, store):
    customer = _customer(store)
    login(clerk)
    post = f"/messaging/customers/{customer.id}/preference"
    for evil in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        resp = client.post(post, data={"consent": "", "channel": "sms", "next": evil},
                           headers={"Referer": evil})
        assert resp.status_code == 302 and resp.headers["Location"].endswith("/messaging/outbox"), evil
    referer = f"http://localhost/customers/{customer.id}"
    resp = client.post(post, data={"channel": "sms"}, headers={"Referer": referer})
    assert resp.headers["Location"].endswith(f"/customers/{customer.id}")
