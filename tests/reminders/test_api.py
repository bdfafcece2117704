"""/api/v1/reminders and /api/v1/campaigns: the due list, outcomes and booking through the pages' own
services, campaigns with their progress and contacts; every refusal (403 role, 404 another store's
row, 422 fields, 409 state) changes nothing."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from claimdesk.appointments import services as diary
from claimdesk.appointments.models import Appointment
from claimdesk.core import uow
from claimdesk.extensions import db
from claimdesk.reminders import campaigns, services
from claimdesk.reminders.models import Campaign, CampaignContact, ServiceReminder
from tests.appointments.conftest import local
from tests.factories import VehicleFactory
from tests.reminders.test_reminders import TODAY


def _due(store, days: int, **kw):
    return VehicleFactory(customer__store=store, next_service_date=TODAY + timedelta(days=days), **kw)


def _reminder(store, days: int = 3):
    """A vehicle due in `days` and its reminder (the job's call list: no consent for a message)."""
    v = _due(store, days)
    services.create_reminders(store)
    return db.session.scalar(sa.select(ServiceReminder).where(ServiceReminder.vehicle_id == v.id))


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _fields(resp) -> set:
    assert resp.status_code == 422, resp.get_json()
    return set(resp.get_json()["error"]["fields"])


def _campaign(manager, **kw):
    campaign, _unknown = campaigns.create_campaign(manager, {
        "kind": "recall", "title": "Control arm recall", "starts_on": "2026-12-07", "ends_on": "2027-02-28", **kw})
    return campaign


# --- the due list --------------------------------------------------------------------------------
def test_due_list_with_its_filters_and_pages(api_as, advisor, store, other_store):
    row = _reminder(store, 3)
    later = _due(store, 20)  # in the due window (30 days), no reminder yet (the job looks 7 days ahead)
    far = _due(store, 60)
    _due(other_store, 2)
    uow.commit()
    api = api_as(advisor)
    body = api.get("reminders").get_json()
    assert [i["vehicle_id"] for i in body["items"]] == [row.vehicle_id, later.id] and body["total"] == 2
    first, second = body["items"]
    assert first["id"] == row.id and first["state"] == "open" and first["channel"] == "call"
    assert first["due_by"] == "date" and first["due_date"] == (TODAY + timedelta(days=3)).isoformat()
    assert first["plate"] == row.vehicle.plate and first["customer_name"] == row.customer.name
    assert second["id"] is None and second["state"] is None and second["appointment_id"] is None
    assert [i["vehicle_id"] for i in api.get("reminders?state=none").get_json()["items"]] == [later.id]
    assert [i["id"] for i in api.get("reminders?state=open&channel=call").get_json()["items"]] == [row.id]
    assert api.get("reminders?state=declined").get_json()["items"] == []
    assert far.id in [i["vehicle_id"] for i in api.get("reminders?days=90").get_json()["items"]]
    paged = api.get("reminders?per_page=1&page=2").get_json()
    assert [i["vehicle_id"] for i in paged["items"]] == [later.id] and paged["total"] == 2
    assert api.get(f"reminders?store_id={other_store.id}").get_json()["items"] == []  # not a store it sees
    assert _fields(api.get("reminders?days=0")) == {"days"}
    assert _fields(api.get("reminders?state=lost")) == {"state"}


def test_due_list_of_another_store_for_a_group_wide_manager(api_as, make_user, store, other_store):
    theirs = _due(other_store, 2)
    boss = make_user("manager", username="group-boss", is_group=True)
    uow.commit()
    items = api_as(boss).get(f"reminders?store_id={other_store.id}").get_json()["items"]
    assert [i["vehicle_id"] for i in items] == [theirs.id] and items[0]["store_id"] == other_store.id


def test_one_reminder_and_its_refusals(api_as, advisor, workshop, make_user, store, other_store):
    row = _reminder(store)
    theirs = _reminder(other_store)
    clerk = make_user("info_clerk", username="info")
    uow.commit()
    got = api_as(clerk).get(f"reminders/{row.id}")
    assert got.status_code == 200 and got.get_json()["id"] == row.id and got.get_json()["attempts"] == 0
    assert api_as(advisor).get(f"reminders/{theirs.id}").status_code == 404
    assert api_as(advisor).get("reminders/999999").status_code == 404
    assert api_as(workshop).get(f"reminders/{row.id}").status_code == 403
    assert api_as(workshop).get("reminders").status_code == 403


def test_reminder_outcome_as_the_page_records_it(api_as, advisor, clerk, workshop, store, other_store):
    row, theirs = _reminder(store), _reminder(other_store)
    uow.commit()
    api = api_as(advisor)
    assert api_as(workshop).post(f"reminders/{row.id}/outcome", {"outcome": "declined"}).status_code == 403
    assert api_as(clerk).post(f"reminders/{theirs.id}/outcome", {"outcome": "declined"}).status_code == 404
    assert _fields(api.post(f"reminders/{row.id}/outcome", {"outcome": "unreachable"})) == {"note"}
    assert _fields(api.post(f"reminders/{row.id}/outcome", {"outcome": "booked"})) == {"outcome"}
    assert _fields(api.post(f"reminders/{row.id}/outcome", {})) == {"outcome"}
    kept = _fresh(ServiceReminder, row.id)
    assert (kept.state, kept.attempts, kept.note) == ("open", 0, None)
    assert _fresh(ServiceReminder, theirs.id).state == "open"
    resp = api.post(f"reminders/{row.id}/outcome", {"outcome": "unreachable", "note": "no answer"})
    assert resp.status_code == 200, resp.get_json()
    assert (resp.get_json()["state"], resp.get_json()["attempts"], resp.get_json()["note"]) == \
        ("unreachable", 1, "no answer")
    again = api_as(clerk).post(f"reminders/{row.id}/outcome", {"outcome": "declined"})  # retried later
    assert again.status_code == 200 and again.get_json()["state"] == "declined" and again.get_json()["attempts"] == 2
    assert api.post(f"reminders/{row.id}/outcome", {"outcome": "unreachable", "note": "x"}).status_code == 409
    assert _fresh(ServiceReminder, row.id).state == "declined"


def test_book_from_a_reminder_in_one_transaction(api_as, advisor, workshop, store, other_store):
    row, theirs = _reminder(store), _reminder(other_store)
    uow.commit()
    api = api_as(advisor)
    slot = {"starts_at": local(8, "10:00").isoformat()}
    assert api_as(workshop).post(f"reminders/{row.id}/book", slot).status_code == 403
    assert api.post(f"reminders/{theirs.id}/book", slot).status_code == 404
    assert _fields(api.post(f"reminders/{row.id}/book", {"starts_at": local(8, "10:07").isoformat()})) == \
        {"starts_at"}  # not a slot of the diary
    assert _fields(api.post(f"reminders/{row.id}/book", {"starts_at": "tomorrow"})) == {"starts_at"}
    assert _count(Appointment) == 0 and _fresh(ServiceReminder, row.id).state == "open"
    resp = api.post(f"reminders/{row.id}/book", {**slot, "request": "Service and wipers"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    appt = db.session.get(Appointment, body["appointment"]["id"])
    assert appt.source == "reminder" and appt.vehicle_id == row.vehicle_id and appt.request == "Service and wipers"
    assert body["reminder"]["state"] == "booked" and body["reminder"]["appointment_id"] == appt.id
    assert _fresh(ServiceReminder, row.id).appointment_id == appt.id
    assert api.get(f"reminders/{row.id}").get_json()["appointment_starts_at"] is not None
    assert api.post(f"reminders/{row.id}/book", {"starts_at": local(8, "11:00").isoformat()}).status_code == 409
    assert _count(Appointment) == 1


def test_booking_a_full_slot_is_the_appointments_422_and_records_nothing(api_as, advisor, manager, store):
    diary.save_settings(store, {"per_slot": 1}, manager)
    other = VehicleFactory(customer__store=store)
    diary.book(manager, {"customer_id": other.customer_id, "vehicle_id": other.id,
                         "starts_at": local(8, "10:00").isoformat()})
    row = _reminder(store)
    uow.commit()
    resp = api_as(advisor).post(f"reminders/{row.id}/book", {"starts_at": local(8, "10:00").isoformat()})
    assert _fields(resp) == {"starts_at"} and "full" in resp.get_json()["error"]["message"]
    assert _count(Appointment) == 1 and _fresh(ServiceReminder, row.id).state == "open"
    ok = api_as(advisor).post(f"reminders/{row.id}/book", {"starts_at": local(8, "10:30").isoformat()},
                              headers={"Accept-Language": "en"})
    assert ok.status_code == 201 and ok.get_json()["appointment"]["request"] == "Scheduled service"


def _unchanged(counts: tuple) -> bool:
    return (_count(Appointment), _count(ServiceReminder)) == counts


def test_book_a_due_vehicle_with_no_reminder_yet(api_as, advisor, store):
    v = _due(store, 20)  # in the due window, after the job's 7 days: no reminder made
    uow.commit()
    api = api_as(advisor)
    assert [i["id"] for i in api.get("reminders?state=none").get_json()["items"]] == [None]
    resp = api.post(f"reminders/vehicles/{v.id}/book", {"starts_at": local(8, "10:00").isoformat()},
                    headers={"Accept-Language": "en"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    row = _fresh(ServiceReminder, body["reminder"]["id"])
    appt = db.session.get(Appointment, body["appointment"]["id"])
    assert (row.vehicle_id, row.due_date, row.due_by, row.channel) == \
        (v.id, TODAY + timedelta(days=20), "date", "call")
    assert row.state == "booked" and row.appointment_id == appt.id and row.outcome_by_id == advisor.id
    assert appt.source == "reminder" and appt.vehicle_id == v.id and appt.customer_id == v.customer_id
    assert appt.request == "Scheduled service" and appt.state == "booked"
    assert body["reminder"]["state"] == "booked" and body["reminder"]["appointment_id"] == appt.id
    assert body["reminder"]["vehicle_id"] == v.id and body["appointment"]["starts_at"] is not None
    assert [i["state"] for i in api.get("reminders").get_json()["items"]] == ["booked"]
    again = api.post(f"reminders/vehicles/{v.id}/book", {"starts_at": local(8, "11:00").isoformat()})
    assert again.status_code == 409  # its reminder is booked: the reminder route's own refusal
    assert _unchanged((1, 1))


def test_book_a_due_vehicle_with_its_reminder_made_uses_that_reminder(api_as, advisor, store):
    row = _reminder(store)
    uow.commit()
    resp = api_as(advisor).post(f"reminders/vehicles/{row.vehicle_id}/book",
                                {"starts_at": local(8, "10:00").isoformat(), "request": "Service and tyres"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["reminder"]["id"] == row.id and body["appointment"]["request"] == "Service and tyres"
    assert _count(ServiceReminder) == 1 and _fresh(ServiceReminder, row.id).state == "booked"


def test_book_a_due_vehicle_refusals_change_nothing(api_as, advisor, workshop, manager, store, other_store):
    diary.save_settings(store, {"per_slot": 1}, manager)
    other = VehicleFactory(customer__store=store)
    diary.book(manager, {"customer_id": other.customer_id, "vehicle_id": other.id,
                         "starts_at": local(8, "10:00").isoformat()})
    v, theirs = _due(store, 20), _due(other_store, 20)
    not_due = VehicleFactory(customer__store=store)
    uow.commit()
    counts = (1, 0)
    api = api_as(advisor)
    slot = {"starts_at": local(8, "11:00").isoformat()}
    wrong_role = api_as(workshop).post(f"reminders/vehicles/{v.id}/book", slot)
    assert wrong_role.status_code == 403 and wrong_role.get_json()["error"]["status"] == 403
    assert _unchanged(counts)
    for vehicle_id in (theirs.id, not_due.id, 999999):
        missing = api.post(f"reminders/vehicles/{vehicle_id}/book", slot)
        assert missing.status_code == 404 and missing.get_json()["error"]["code"], vehicle_id
        assert _unchanged(counts)
    assert _fields(api.post(f"reminders/vehicles/{v.id}/book", {})) == {"starts_at"}
    assert _fields(api.post(f"reminders/vehicles/{v.id}/book", {"starts_at": "tomorrow", "advisor_id": "x",
                                                                  "request": "r" * 2001})) == \
        {"starts_at", "advisor_id", "request"}
    off_slot = {"starts_at": local(8, "10:07").isoformat()}
    assert _fields(api.post(f"reminders/vehicles/{v.id}/book", off_slot)) == {"starts_at"}  # not a diary slot
    assert _unchanged(counts)
    full = api.post(f"reminders/vehicles/{v.id}/book", {"starts_at": local(8, "10:00").isoformat()})
    assert _fields(full) == {"starts_at"} and "full" in full.get_json()["error"]["message"]
    assert _unchanged(counts)  # the reminder the booking made is rolled back with it
    assert api.post(f"reminders/vehicles/{v.id}/book", slot).status_code == 201
    assert _unchanged((2, 1))


# --- campaigns -----------------------------------------------------------------------------------
def test_create_campaign_lists_the_vins_not_in_the_store(api_as, manager, advisor, store, other_store):
    mine = VehicleFactory(customer__store=store, model="Lavida")
    by_model = VehicleFactory(customer__store=store, model="Tiguan L")
    theirs = VehicleFactory(customer__store=other_store)
    uow.commit()
    body = {"kind": "recall", "title": "Brake hose recall", "starts_on": "2026-12-07", "ends_on": "2027-01-31",
            "vins": [mine.vin.lower(), theirs.vin], "model_filter": "tiguan"}
    assert api_as(advisor).post("campaigns", body).status_code == 403
    api = api_as(manager)
    assert _fields(api.post("campaigns", {**body, "kind": "party"})) == {"kind"}
    assert _fields(api.post("campaigns", {**body, "title": "  "})) == {"title"}
    assert _fields(api.post("campaigns", {**body, "vins": ["SHORT"]})) == {"vins"}
    assert _fields(api.post("campaigns", {**body, "vins": [], "model_filter": None})) == {"vins"}
    assert _fields(api.post("campaigns", {**body, "ends_on": "2026-12-01"})) == {"ends_on"}
    assert _fields(api.post("campaigns", {**body, "starts_on": "soon"})) == {"starts_on"}
    assert api.post("campaigns", {**body, "store_id": other_store.id}).status_code == 403  # not group-wide
    assert _count(Campaign) == 0 and _count(CampaignContact) == 0
    resp = api.post("campaigns", body)
    assert resp.status_code == 201, resp.get_json()
    out = resp.get_json()
    assert out["unknown_vins"] == [theirs.vin]
    assert out["campaign"]["store_id"] == store.id and out["campaign"]["vins"] == [mine.vin.upper(), theirs.vin]
    assert out["campaign"]["progress"]["total"] == 2 and out["campaign"]["progress"]["open"] == 2
    contacts = api.get(f"campaigns/{out['campaign']['id']}/contacts").get_json()["items"]
    assert {c["vehicle_id"] for c in contacts} == {mine.id, by_model.id}


def test_campaign_list_item_and_contacts(api_as, manager, advisor, workshop, make_user, store, other_store):
    vs = [VehicleFactory(customer__store=store, model="Lavida") for _ in range(3)]
    campaign = _campaign(manager, model_filter="Lavida")
    contact = {c.vehicle_id: c for c in campaign.contacts}[vs[0].id]
    services.record_outcome(contact, "declined", advisor)
    other_manager = make_user("manager", username="o-mgr", store=other_store)
    VehicleFactory(customer__store=other_store, model="Lavida")
    theirs = _campaign(other_manager, model_filter="Lavida", kind="free_inspection")
    uow.commit()
    api = api_as(advisor)
    listed = api.get("campaigns").get_json()
    assert [c["id"] for c in listed["items"]] == [campaign.id] and listed["total"] == 1
    assert listed["items"][0]["progress"] == {"total": 3, "open": 2, "booked": 0, "declined": 1, "unreachable": 0,
                                              "reached": 1, "percent_booked": 0}
    assert api.get("campaigns?kind=free_inspection").get_json()["items"] == []
    assert _fields(api.get("campaigns?kind=party")) == {"kind"}
    one = api.get(f"campaigns/{campaign.id}").get_json()
    assert one["title"] == "Control arm recall" and one["progress"]["declined"] == 1
    page = api.get(f"campaigns/{campaign.id}/contacts?state=open&per_page=1").get_json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["items"][0]["state"] == "open"
    assert page["items"][0]["plate"] in {v.plate for v in vs}
    assert _fields(api.get(f"campaigns/{campaign.id}/contacts?state=lost")) == {"state"}
    assert api.get(f"campaigns/{theirs.id}").status_code == 404
    assert api.get(f"campaigns/{theirs.id}/contacts").status_code == 404
    assert api_as(workshop).get("campaigns").status_code == 403
    assert api_as(workshop).get(f"campaigns/{campaign.id}/contacts").status_code == 403


def test_contact_outcome_and_booking(api_as, manager, advisor, workshop, make_user, store, other_store):
    vs = [VehicleFactory(customer__store=store, model="Lavida") for _ in range(2)]
    campaign = _campaign(manager, model_filter="Lavida")
    first, second = ({c.vehicle_id: c for c in campaign.contacts}[v.id] for v in vs)
    other_manager = make_user("manager", username="o-mgr", store=other_store)
    VehicleFactory(customer__store=other_store, model="Lavida")
    theirs = _campaign(other_manager, model_filter="Lavida").contacts[0]
    uow.commit()
    api = api_as(advisor)
    slot = {"starts_at": local(8, "10:00").isoformat()}
    assert api_as(workshop).post(f"campaigns/contacts/{first.id}/outcome", {"outcome": "declined"}).status_code == 403
    assert api_as(workshop).post(f"campaigns/contacts/{first.id}/book", slot).status_code == 403
    assert api.post(f"campaigns/contacts/{theirs.id}/outcome", {"outcome": "declined"}).status_code == 404
    assert api.post(f"campaigns/contacts/{theirs.id}/book", slot).status_code == 404
    assert api.post("campaigns/contacts/999999/book", slot).status_code == 404
    assert _fields(api.post(f"campaigns/contacts/{first.id}/outcome", {"outcome": "unreachable"})) == {"note"}
    assert _fields(api.post(f"campaigns/contacts/{first.id}/book", {})) == {"starts_at"}
    assert _count(Appointment) == 0
    assert {_fresh(CampaignContact, c.id).state for c in (first, theirs)} == {"open"}
    resp = api.post(f"campaigns/contacts/{first.id}/outcome", {"outcome": "unreachable", "note": "phone off"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "unreachable"
    booked = api.post(f"campaigns/contacts/{first.id}/book", slot)  # unreachable may be tried again
    assert booked.status_code == 201, booked.get_json()
    out = booked.get_json()
    assert out["contact"]["state"] == "booked" and out["contact"]["appointment_id"] == out["appointment"]["id"]
    assert out["appointment"]["source"] == "campaign" and out["appointment"]["request"] == campaign.title
    assert api.post(f"campaigns/contacts/{first.id}/outcome", {"outcome": "declined"}).status_code == 409
    declined = api.post(f"campaigns/contacts/{second.id}/outcome", {"outcome": "declined", "note": "sold the car"})
    assert declined.status_code == 200 and declined.get_json()["note"] == "sold the car"
    progress = api.get(f"campaigns/{campaign.id}").get_json()["progress"]
    assert (progress["booked"], progress["declined"], progress["reached"], progress["percent_booked"]) == (1, 1, 2, 50)


def test_endpoints_are_in_the_openapi_spec(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/reminders", "/api/v1/reminders/{reminder_id}", "/api/v1/reminders/{reminder_id}/outcome",
                 "/api/v1/reminders/{reminder_id}/book", "/api/v1/reminders/vehicles/{vehicle_id}/book",
                 "/api/v1/campaigns", "/api/v1/campaigns/{campaign_id}",
                 "/api/v1/campaigns/{campaign_id}/contacts", "/api/v1/campaigns/contacts/{contact_id}/outcome",
                 "/api/v1/campaigns/contacts/{contact_id}/book"):
        assert path in spec["paths"], path
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/campaigns"])
    schemas = spec["components"]["schemas"]
    assert {"ReminderOut", "OutcomeIn", "BookIn", "CampaignIn", "CampaignOut", "ContactOut", "ProgressOut"} <= set(schemas)
    assert "unknown_vins" in schemas["CampaignCreatedOut"]["properties"]


def test_the_campaign_list_counts_progress_with_one_query_for_the_page(api_as, manager, advisor, store):
    VehicleFactory(customer__store=store, model="Lavida")
    _campaign(manager, model_filter="Lavida")
    uow.commit()
    api = api_as(advisor)

    def statements() -> int:
        seen = []
        listener = lambda *_a: seen.append(1)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert api.get("campaigns").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    one = statements()
    for _ in range(3):
        _campaign(manager, model_filter="Lavida")
    uow.commit()
    assert len(api.get("campaigns").get_json()["items"]) == 4
    assert statements() == one  # not one count per campaign
