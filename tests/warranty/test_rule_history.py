"""A brand rule's change history: who changed what, when (old → new), through the API and the page; a save
that changes nothing and a refused one record nothing."""
from __future__ import annotations

from claimdesk.extensions import db
from claimdesk.warranty.models import WarrantyBrandRule

from .test_pages import page


def test_the_api_records_who_changed_what(api_as, manager):
    r = api_as(manager).post("warranty-brand-rules", {"make": "BYD", "submission_days": 7, "preauth_threshold": "5000"})
    assert r.status_code == 201
    rid = r.json["id"]
    [created] = r.json["history"]
    assert created["created"] is True and created["by"] == manager.display_name and created["by_id"] == manager.id
    assert created["changes"]["submission_days"] == [None, 7]
    r = api_as(manager).patch(f"warranty-brand-rules/{rid}", {"submission_days": 10, "preauth_threshold": "6000.5",
                                                              "required_evidence": ["vin", "photos"]})
    assert r.status_code == 200
    latest = r.json["history"][0]
    assert latest["changes"]["submission_days"] == [7, 10]
    assert latest["changes"]["preauth_threshold"] == ["5000.00", "6000.50"]
    assert latest["changes"]["required_evidence"][1] == ["photos", "vin"]
    assert set(latest["changes"]) == {"submission_days", "preauth_threshold", "required_evidence"}
    assert len(r.json["history"]) == 2
    # the same values again: nothing new; a refused change: nothing at all
    assert len(api_as(manager).patch(f"warranty-brand-rules/{rid}", {"submission_days": 10}).json["history"]) == 2
    assert api_as(manager).patch(f"warranty-brand-rules/{rid}", {"submission_days": 0}).status_code == 422
    db.session.expire_all()
    rule = db.session.get(WarrantyBrandRule, rid)
    assert rule.submission_days == 10 and len(rule.history) == 2


def test_the_rule_page_lists_the_changes(client, login, manager):
    login(manager)
    resp = client.post("/warranty/rules/new", data={"make": "BYD", "submission_days": "10", "return_days": "14",
                                                    "active": "1"})
    assert resp.status_code == 302
    rule = db.session.query(WarrantyBrandRule).filter_by(make="BYD").one()
    resp = client.post(f"/warranty/rules/{rule.id}/edit", data={"make": "BYD", "submission_days": "21",
                                                                "return_days": "14", "active": "1"})
    assert resp.status_code == 302
    html = page(client, f"/warranty/rules/{rule.id}/edit")
    assert "Change history" in html or "变更记录" in html
    assert "10 → 21" in html and manager.display_name in html
    client.post(f"/warranty/rules/{rule.id}/edit", data={"make": "BYD", "submission_days": "0", "return_days": "14",
                                                         "active": "1"})  # refused (422)
    db.session.expire_all()
    assert len(db.session.get(WarrantyBrandRule, rule.id).history) == 2
