"""Check-in photos of a work order: API and page upload, listing, downloads under the work order's rules,
the timeline, type/size checks reused from the documents module."""
from __future__ import annotations

import io

import pytest

from claimdesk.core import events, uow
from claimdesk.documents.models import Document
from claimdesk.extensions import db
from claimdesk.workorders.services import open_work_order
from tests.claims.factories import EXE, JPEG, PDF, PNG
from tests.factories import VehicleFactory


def post_photo(api, wo, data=PNG, filename="front.png", **form):
    return api.post(f"work-orders/{wo.id}/photos", data={"file": (io.BytesIO(data), filename), **form},
                    content_type="multipart/form-data")


@pytest.mark.parametrize("data,mime", [(PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf")])
def test_advisor_uploads_and_lists_photos(wo, advisor, api_as, data, mime):
    api = api_as(advisor)
    resp = post_photo(api, wo, data, "bumper", panel="front_bumper", note="scratch left of plate")
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["content_type"] == mime and body["case_type"] == "work_order" and body["case_id"] == wo.id
    assert body["kind"] == "check_in_photo" and body["panel"] == "front_bumper"
    assert body["note"] == "scratch left of plate" and body["uploaded_by_id"] == advisor.id
    listed = api.get(f"work-orders/{wo.id}/photos").json["items"]
    assert [p["id"] for p in listed] == [body["id"]] and listed[0]["panel"] == "front_bumper"
    content = api.get(body["content_url"])
    assert content.status_code == 200 and content.data == data
    ev = events.timeline("work_order", wo.id)[-1]
    assert ev.action == "photo_added" and ev.actor_id == advisor.id and ev.data["document_id"] == body["id"]


def test_manager_uploads_workshop_and_clerk_only_read(wo, advisor, manager, workshop, clerk, api_as):
    assert post_photo(api_as(manager), wo).status_code == 201
    for user in (workshop, clerk):
        api = api_as(user)
        assert post_photo(api, wo).status_code == 403
        items = api.get(f"work-orders/{wo.id}/photos").json["items"]
        assert len(items) == 1
        assert api.get(items[0]["content_url"]).status_code == 200
    assert db.session.query(Document).count() == 1


def test_other_store_gets_404_everywhere(wo, advisor, other_store, make_user, api_as):
    photo = post_photo(api_as(advisor), wo).json
    stranger = api_as(make_user("advisor", username="far", store=other_store))
    assert post_photo(stranger, wo).status_code == 404
    assert stranger.get(f"work-orders/{wo.id}/photos").status_code == 404
    assert stranger.get(photo["content_url"]).status_code == 404
    assert stranger.get(f"/api/v1/documents/{photo['id']}").status_code == 404
    assert db.session.query(Document).count() == 1


def test_renamed_executable_is_415_and_nothing_stored(wo, advisor, api_as):
    before = len(events.timeline("work_order", wo.id))
    resp = post_photo(api_as(advisor), wo, EXE, "car.jpg")
    assert resp.status_code == 415 and resp.json["error"]["code"] == "unsupported_media_type"
    assert db.session.query(Document).count() == 0
    assert len(events.timeline("work_order", wo.id)) == before


def test_oversize_is_413(wo, advisor, api_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    resp = post_photo(api_as(advisor), wo, PNG + b"0" * 4096, "big.png")
    assert resp.status_code == 413
    assert db.session.query(Document).count() == 0


def test_missing_file_422_and_closed_work_order_409(wo, advisor, api_as):
    api = api_as(advisor)
    assert api.post(f"work-orders/{wo.id}/photos", data={"note": "x"},
                    content_type="multipart/form-data").status_code == 422
    wo.state = "cancelled"
    uow.commit()
    assert post_photo(api, wo).status_code == 409
    assert db.session.query(Document).count() == 0


def test_page_upload_thumbnails_and_print(wo, advisor, login, client):
    login(advisor)
    assert f'action="/work-orders/{wo.id}/photos"' in client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    resp = client.post(f"/work-orders/{wo.id}/photos", data={"file": (io.BytesIO(JPEG), "left.jpg"),
                                                             "panel": "left_front_door", "note": "dent"},
                       content_type="multipart/form-data")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/work-orders/{wo.id}#photos")
    doc = db.session.query(Document).one()
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert f'src="/documents/{doc.id}/content"' in html and 'class="wo-photo-thumb"' in html
    assert "Left front door" in html and "dent" in html and 'style="' not in html
    assert "Photo added" in html and "photo_added" not in html
    assert client.get(f"/documents/{doc.id}/content").data == JPEG
    printed = client.get(f"/work-orders/{wo.id}/print").get_data(as_text=True)
    assert f"/documents/{doc.id}/content" in printed and "Left front door" in printed


def test_page_upload_refuses_bad_type_with_a_message(wo, advisor, login, client):
    login(advisor)
    resp = client.post(f"/work-orders/{wo.id}/photos", data={"file": (io.BytesIO(EXE), "car.png")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200 and "PDF, JPEG or PNG" in resp.get_data(as_text=True)
    assert db.session.query(Document).count() == 0


def test_page_upload_form_only_for_uploaders(wo, advisor, workshop, login, client):
    login(workshop)
    html = client.get(f"/work-orders/{wo.id}").get_data(as_text=True)
    assert f"/work-orders/{wo.id}/photos" not in html and "No photos yet." in html
    resp = client.post(f"/work-orders/{wo.id}/photos", data={"file": (io.BytesIO(PNG), "a.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 403


def test_page_other_store_404(advisor, other_store, make_user, login, client):
    far = make_user("advisor", username="far", store=other_store)
    vehicle = VehicleFactory(customer__store=other_store)
    wo = open_work_order(far, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id, "mileage_km": 90000,
                               "customer_description": "noise"})
    uow.commit()
    login(advisor)
    resp = client.post(f"/work-orders/{wo.id}/photos", data={"file": (io.BytesIO(PNG), "a.png")},
                       content_type="multipart/form-data")
    assert resp.status_code == 404


def test_upload_sent_with_progress_gets_its_redirect_as_json_and_the_message_waits(
        advisor, login, client, wo):
    """app.js uploads the form itself to show progress (header X-Claimdesk-Progress): the answer is the
    address to go to, and the flashed message is shown by that page, not eaten by the upload."""

    login(advisor)
    resp = client.post(f"/work-orders/{wo.id}/photos", headers={"X-Claimdesk-Progress": "1"},
                       data={"file": (io.BytesIO(PNG), "front.png"), "panel": "front_bumper"},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.json == {"redirect": f"/work-orders/{wo.id}#photos"}
    page = client.get(resp.json["redirect"]).get_data(as_text=True)
    assert "Photo added to the check-in sheet." in page
    refused = client.post(f"/work-orders/{wo.id}/photos", headers={"X-Claimdesk-Progress": "1"},
                          data={"note": "no file"}, content_type="multipart/form-data")
    assert refused.status_code == 200 and refused.json["redirect"].startswith(f"/work-orders/{wo.id}")
    assert "Choose a photo to upload." in client.get(refused.json["redirect"]).get_data(as_text=True)


# --- panel and note: columns of the document row, one rule for the API and the page ---------------------
def test_panel_and_note_are_the_document_row_s_columns(wo, advisor, api_as):
    api = api_as(advisor)
    body = post_photo(api, wo, panel=" boot ", note="  chip on the lid \n").json
    doc = db.session.get(Document, body["id"])
    assert (doc.panel, doc.note) == ("boot", "chip on the lid")
    assert (body["panel"], body["note"]) == ("boot", "chip on the lid")
    # the listing reads the row, not the timeline: the event's copy is history only
    ev = events.timeline("work_order", wo.id)[-1]
    assert ev.data == {"document_id": doc.id, "panel": "boot", "note": "chip on the lid"}
    doc.panel, doc.note = "roof", "seen again"
    uow.commit()
    listed = api.get(f"work-orders/{wo.id}/photos").json["items"]
    assert [(p["panel"], p["note"]) for p in listed] == [("roof", "seen again")]
    blank = post_photo(api, wo, panel="", note="   ").json
    assert (blank["panel"], blank["note"]) == (None, None)


@pytest.mark.parametrize("form,field", [({"panel": "front"}, "panel"), ({"panel": "x" * 40}, "panel"),
                                        ({"panel": "bonnet", "note": "n" * 501}, "note")])
def test_api_refuses_an_unknown_panel_or_a_long_note_with_422_on_the_field(wo, advisor, api_as, form, field):
    before = len(events.timeline("work_order", wo.id))
    resp = post_photo(api_as(advisor), wo, **form)
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["code"] == "validation_error" and list(resp.json["error"]["fields"]) == [field]
    assert db.session.query(Document).count() == 0
    assert len(events.timeline("work_order", wo.id)) == before


def test_page_refuses_an_unknown_panel_with_a_message_and_keeps_nothing(wo, advisor, login, client):
    login(advisor)
    before = len(events.timeline("work_order", wo.id))
    resp = client.post(f"/work-orders/{wo.id}/photos", data={"file": (io.BytesIO(PNG), "a.png"), "panel": "front",
                                                             "note": "kept?"},
                       content_type="multipart/form-data", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Unknown panel “front”: the photo was not added." in html
    assert "panel: Choose a panel of the check-in sheet, or none." in html
    assert "Photo added to the check-in sheet." not in html
    assert db.session.query(Document).count() == 0
    assert len(events.timeline("work_order", wo.id)) == before


def test_page_keeps_a_long_note_whole_or_refuses_it(wo, advisor, login, client):
    """The page used to cut the note to 500 characters silently; now the same rule as the API applies."""
    login(advisor)
    resp = client.post(f"/work-orders/{wo.id}/photos", data={"file": (io.BytesIO(PNG), "a.png"),
                                                             "panel": "wheels", "note": "n" * 501},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "At most 500 characters." in resp.get_data(as_text=True)
    assert db.session.query(Document).count() == 0
    client.post(f"/work-orders/{wo.id}/photos", data={"file": (io.BytesIO(PNG), "a.png"), "panel": "wheels",
                                                      "note": " " + "n" * 500 + " "},
                content_type="multipart/form-data")
    doc = db.session.query(Document).one()
    assert (doc.panel, doc.note) == ("wheels", "n" * 500)
