"""Campaigns (VIN list and model filter, outcomes, progress) and the pages of the call lists (en, zh)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from claimdesk.appointments.models import Appointment
from claimdesk.core import uow
from claimdesk.core.errors import Forbidden, ValidationFailed
from claimdesk.extensions import db
from claimdesk.reminders import campaigns, services
from claimdesk.reminders.models import CampaignContact, ServiceReminder
from tests.appointments.conftest import local
from tests.factories import VehicleFactory
from tests.reminders.test_reminders import TODAY


def _campaign(manager, **kw):
    data = {"kind": "recall", "title": "Control arm recall", "starts_on": "2026-12-07", "ends_on": "2027-02-28",
            **kw}
    return campaigns.create_campaign(manager, data)


def test_parse_vins():
    assert campaigns.parse_vins("lsv1 , LSV2\nlsv1；LSV3") == ["LSV1", "LSV2", "LSV3"]


def test_campaign_by_vin_list_only_this_store(store, other_store, manager):
    mine = [VehicleFactory(customer__store=store) for _ in range(3)]
    theirs = VehicleFactory(customer__store=other_store)
    campaign, unknown = _campaign(manager, vins="\n".join([mine[0].vin, mine[2].vin.lower(), theirs.vin]))
    assert {c.vehicle_id for c in campaign.contacts} == {mine[0].id, mine[2].id}
    assert unknown == [theirs.vin]


def test_campaign_by_model_filter(store, manager):
    tiguan = VehicleFactory(customer__store=store, model="Tiguan L")
    VehicleFactory(customer__store=store, model="Lavida")
    campaign, _unknown = _campaign(manager, kind="free_inspection", model_filter="tiguan")
    assert [c.vehicle_id for c in campaign.contacts] == [tiguan.id]


def test_campaign_validation_and_role(store, manager, advisor):
    with pytest.raises(ValidationFailed) as err:
        _campaign(manager, kind="party", vins="SHORT", ends_on="2026-01-01")
    assert {"kind", "vins"} <= set(err.value.fields)
    with pytest.raises(ValidationFailed) as err:
        _campaign(manager)  # neither VINs nor a model
    assert "vins" in err.value.fields
    with pytest.raises(Forbidden):
        _campaign(advisor, model_filter="Lavida")


def test_campaign_outcomes_and_progress(store, manager, advisor):
    vs = [VehicleFactory(customer__store=store, model="Lavida") for _ in range(4)]
    campaign, _ = _campaign(manager, model_filter="Lavida")
    c = {x.vehicle_id: x for x in campaign.contacts}
    appt = services.book_for(c[vs[0].id], advisor, {"vehicle_id": vs[0].id,
                                                    "starts_at": local(8, "10:00").isoformat()}, source="campaign")
    services.record_outcome(c[vs[1].id], "declined", advisor)
    services.record_outcome(c[vs[2].id], "unreachable", advisor, note="phone off")
    p = campaigns.progress(campaign)
    assert p == {"open": 1, "booked": 1, "declined": 1, "unreachable": 1, "total": 4, "reached": 2,
                 "percent_booked": 25}
    assert appt.source == "campaign" and c[vs[0].id].appointment_id == appt.id


def test_due_page_book_from_the_due_list_en_zh(login, client, advisor, store):
    v = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=4))
    uow.commit()
    login(advisor)
    html = client.get("/reminders/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Service due" in html and v.plate in html and f"/reminders/vehicle/{v.id}/book" in html
    form = client.get(f"/reminders/vehicle/{v.id}/book?date=2026-12-08").get_data(as_text=True)
    assert "Scheduled service" in form and "10:00" in form
    resp = client.post(f"/reminders/vehicle/{v.id}/book", data={
        "customer_id": v.customer_id, "vehicle_id": v.id, "starts_at": local(8, "10:00").isoformat(),
        "request": "Scheduled service", "source": "reminder"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    db.session.expire_all()
    row = db.session.scalar(sa.select(ServiceReminder).where(ServiceReminder.vehicle_id == v.id))
    appt = db.session.get(Appointment, row.appointment_id)
    assert row.state == "booked" and appt.source == "reminder" and appt.request == "Scheduled service"
    client.post("/lang/zh")
    assert "保养到期" in client.get("/reminders/").get_data(as_text=True)


def test_outcome_form_and_workshop_refused(login, client, advisor, workshop, store):
    v = VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=2))
    services.create_reminders(store)
    uow.commit()
    row = db.session.scalar(sa.select(ServiceReminder).where(ServiceReminder.vehicle_id == v.id))
    login(workshop)
    assert client.get("/reminders/").status_code == 403
    assert client.post(f"/reminders/{row.id}/outcome", data={"outcome": "declined"}).status_code == 403
    client.post("/logout")
    login(advisor)
    resp = client.post(f"/reminders/{row.id}/outcome", data={"outcome": "unreachable", "note": "no answer"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ServiceReminder, row.id).state == "unreachable"


def test_campaign_pages(login, client, manager, advisor, store):
    v = VehicleFactory(customer__store=store, model="Lavida")
    uow.commit()
    login(manager)
    resp = client.post("/reminders/campaigns/new", data={"kind": "recall", "title": "Brake hose recall",
                                                         "vins": v.vin, "starts_on": "2026-12-07",
                                                         "ends_on": "2027-01-31"})
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Brake hose recall" in html and v.plate in html and "1 vehicles" in html
    assert client.post("/reminders/campaigns/new", data={"kind": "recall", "title": ""}).status_code == 422
    client.post("/logout")
    login(advisor)
    assert client.get("/reminders/campaigns/new").status_code == 403
    contact = db.session.scalar(sa.select(CampaignContact))
    resp = client.post(f"/reminders/campaigns/contacts/{contact.id}/book", data={
        "customer_id": v.customer_id, "vehicle_id": v.id, "starts_at": local(8, "10:00").isoformat(),
        "source": "campaign"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(CampaignContact, contact.id).state == "booked"
    client.post("/lang/zh")
    assert "召回" in client.get("/reminders/campaigns").get_data(as_text=True)
