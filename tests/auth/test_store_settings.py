"""The store settings page: managers and admins edit their store's front-desk settings (separate check
signers, the first free service rules by brand); bad values come back as form messages and change nothing;
every change is on the page's history; other roles and other stores are refused."""
from __future__ import annotations

from claimdesk.extensions import db

GOOD = {"rule_rows": "2", "separate_check_signers": "1",
        "rule-0-brand": "Volkswagen", "rule-0-months": "6", "rule-0-km": "7500", "rule-0-payer": "manufacturer",
        "rule-0-labour_operations": "FS01，FS02", "rule-0-parts": "OIL-, oil filter, 机滤",
        "rule-1-brand": "", "rule-1-months": "", "rule-1-km": "", "rule-1-payer": "manufacturer"}


def _url(store):
    return f"/admin/stores/{store.id}/settings"


def test_a_manager_edits_the_rules_and_the_check_rule(store, manager, login, client):
    login(manager)
    assert client.get("/admin/store-settings").headers["Location"].endswith(_url(store))
    html = client.get(_url(store)).get_data(as_text=True)
    assert "First free service (首保) by brand" in html and 'name="separate_check_signers"' in html
    assert 'id="f-separate" checked' in html  # on by default
    r = client.post(_url(store), data={k: v for k, v in GOOD.items() if k != "separate_check_signers"})
    assert r.status_code == 302
    db.session.expire_all()
    assert store.settings["separate_check_signers"] is False
    (rule,) = store.settings["first_service_rules"]
    assert rule == {"brand": "Volkswagen", "months": 6, "km": 7500, "payer": "manufacturer",
                    "labour_operations": ["FS01", "FS02"], "parts": ["OIL-", "oil filter", "机滤"]}
    (entry,) = store.settings["history"]
    assert entry["by"] == manager.username and set(entry["changes"]) == {"separate_check_signers",
                                                                         "first_service_rules"}
    html = client.get(_url(store)).get_data(as_text=True)
    assert 'value="Volkswagen"' in html and "FS01, FS02" in html and "settings-history" in html


def test_bad_values_are_form_messages_and_change_nothing(store, manager, login, client):
    login(manager)
    bad = {**GOOD, "rule-0-months": "six", "rule-0-payer": "insurer", "rule-1-brand": "volkswagen",
           "rule-1-months": "6", "rule-1-km": "0", "rule-1-payer": "dealer"}
    r = client.post(_url(store), data=bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Please correct the marked fields." in html
    assert "A whole number." in html and "The manufacturer or the dealer." in html
    assert "This brand has a rule already." in html and "Between 1 and 100000." in html
    assert "Name the labour operations or the parts it covers." in html
    assert 'value="six"' in html  # what was typed stays in the form
    db.session.expire_all()
    assert "first_service_rules" not in (store.settings or {}) and not (store.settings or {}).get("history")


def test_chinese_page(store, manager, login, client):
    login(manager)
    client.post("/lang/zh")
    html = client.get(_url(store)).get_data(as_text=True)
    assert "门店设置" in html and "首保" in html and "厂家" in html
    r = client.post(_url(store), data={**GOOD, "rule-0-km": "x"})
    assert r.status_code == 422 and "请填写整数。" in r.get_data(as_text=True)


def test_others_are_refused(store, other_store, make_user, login, client):
    advisor = make_user("advisor", username="adv_settings")
    login(advisor)
    assert client.get(_url(store)).status_code == 403
    assert client.post(_url(store), data=GOOD).status_code == 403
    db.session.expire_all()
    assert "first_service_rules" not in (store.settings or {})


def test_another_stores_page_is_a_404(store, other_store, manager, login, client):
    login(manager)
    assert client.get(_url(other_store)).status_code == 404
    assert client.post(_url(other_store), data=GOOD).status_code == 404
    db.session.expire_all()
    assert "first_service_rules" not in (other_store.settings or {})
