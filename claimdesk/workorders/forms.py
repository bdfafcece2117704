"""How the work-order page's forms become action data (the same fields the API takes): local date
inputs to ISO times, checkboxes, line tables, per-line decisions and check items."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_login import current_user

from . import services
from .labels import PANELS
from .models import WorkOrder


def local_to_iso(value: str | None) -> str | None:
    """A datetime-local field (store time) as an aware ISO string; other strings pass through."""
    if not value:
        return None
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return value
    if naive.tzinfo is not None:
        return naive.isoformat()
    return naive.replace(tzinfo=ZoneInfo(current_user.store.timezone)).isoformat()


def checkbox(form, name) -> bool:
    return form.get(name) in ("1", "on", "true", "yes")


def check_in_data(form) -> dict:
    data = {}
    for key in ("valuables", "diagnosis"):
        if key in form:
            data[key] = form.get(key).strip() or None
    if form.get("fuel_level", "").strip():
        data["fuel_level"] = form.get("fuel_level").strip()
    if "key_tag" in form:
        data["key_tag"] = form.get("key_tag").strip() or None
    for key in ("covers_fitted", "licence_checked", "booklet_checked", "spare_tyre_present", "tool_kit_present"):
        if f"{key}__present" in form:
            data[key] = checkbox(form, key)
    if "damage__present" in form:
        data["damage"] = [{"panel": p, "kind": form.get(f"damage-{p}"), "note": form.get(f"damage-{p}-note") or None}
                          for p, _label in PANELS if form.get(f"damage-{p}")]
    if form.get("appointment_at"):
        data["appointment_at"] = local_to_iso(form.get("appointment_at"))
    return data


def _lines_from_form(form) -> list[dict]:
    lines = []
    for i in range(50):
        prefix = f"lines-{i}-"
        if f"{prefix}description" not in form:
            continue
        desc = form.get(f"{prefix}description", "").strip()
        if not desc:
            continue
        line = {"kind": form.get(f"{prefix}kind") or "labour", "description": desc,
                "quantity": form.get(f"{prefix}quantity", "").strip(),
                "unit_price": form.get(f"{prefix}unit_price", "").strip(),
                "pay_type": form.get(f"{prefix}pay_type") or None,
                "safety_related": checkbox(form, f"{prefix}safety_related")}
        code = form.get(f"{prefix}code", "").strip()
        if code:
            line["part_number" if line["kind"] == "part" else "operation_code"] = code
        if form.get(f"{prefix}warranty_status"):
            line["warranty_status"] = form.get(f"{prefix}warranty_status")
        lines.append({k: v for k, v in line.items() if v is not None})
    return lines


def _decisions_from_form(form, prefix="decision-") -> list[dict]:
    out = []
    for key, value in form.items():
        if key.startswith(prefix) and key[len(prefix):].isdigit() and value:
            out.append({"line_id": int(key[len(prefix):]), "decision": value})
    return out


def _check_items_from_form(form, stage: str) -> list[dict]:
    names = services.CHECK_ITEMS.get(stage, [])
    if "items__present" not in form:
        return []
    return [{"item": name, "passed": checkbox(form, f"item-{i}"), "note": form.get(f"item-{i}-note") or None}
            for i, name in enumerate(names)]


def form_to_data(action: str, form, wo: WorkOrder) -> dict:
    """The HTML form of an action → the action's fields (the same ones the API takes)."""
    text = {k: v.strip() for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
    data: dict = {}
    if text.get("version"):
        data["version"] = text["version"]
    if action == "check_in":
        data.update(check_in_data(form))
        for key in ("mileage_km", "mileage_reason", "customer_description"):
            if text.get(key):
                data[key] = text[key]
    elif action in ("estimate", "request_extra_work"):
        data["lines"] = _lines_from_form(form)
        if action == "estimate":
            data["replace"] = False
            if text.get("diagnosis"):
                data["diagnosis"] = text["diagnosis"]
        elif text.get("reason"):
            data["reason"] = text["reason"]
    elif action == "remove_line":
        data["line_id"] = text.get("line_id")
    elif action == "decide_warranty":
        data["lines"] = [{"line_id": d["line_id"], "warranty_status": d["decision"]}
                         for d in _decisions_from_form(form, "warranty-")]
        if text.get("reference"):
            data["reference"] = text["reference"]
    elif action == "authorise":
        for key in ("signed_by", "signature_channel", "payment_method", "old_parts", "signature_image"):
            if text.get(key):
                data[key] = text[key]
        data["promised_at"] = local_to_iso(text.get("promised_at"))
        data["free_wash"] = checkbox(form, "free_wash")
        data["decisions"] = _decisions_from_form(form)
    elif action == "revise_promise":
        for key in ("reason", "agreed_by", "channel"):
            if text.get(key):
                data[key] = text[key]
        data["promised_at"] = local_to_iso(text.get("promised_at"))
    elif action == "dispatch":
        for key in ("team", "technician_id", "priority", "note"):
            if text.get(key):
                data[key] = text[key]
    elif action == "decide_extra_work":
        data["decisions"] = _decisions_from_form(form)
        for key in ("decided_by", "channel"):
            if text.get(key):
                data[key] = text[key]
    elif action in ("pass_check", "fail_check"):
        data["stage"] = text.get("stage")
        items = _check_items_from_form(form, text.get("stage") or "")
        if items:
            data["items"] = items
        for key in ("signed_by", "recommendations", "reason", "parking_spot"):
            if text.get(key):
                data[key] = text[key]
    elif action == "notify_customer":
        if text.get("pickup_at"):
            data["pickup_at"] = local_to_iso(text["pickup_at"])
    elif action == "deliver":
        for key in ("signed_by", "payment_method", "paid_amount", "next_service_date", "next_service_km",
                    "preferred_callback_time", "note"):
            if text.get(key):
                data[key] = text[key]
        for key in ("old_parts_handled", "car_clean", "nothing_left_inside", "spare_tyre_returned", "tool_kit_returned"):
            data[key] = checkbox(form, key)
        data["declined_signoff"] = [int(v) for v in form.getlist("declined_signoff") if v.isdigit()]
    elif action == "add_adjustment":
        for key in ("kind", "amount", "payer", "description", "agreed_by", "note"):
            if text.get(key):
                data[key] = text[key]
    elif action == "remove_adjustment":
        data["adjustment_id"] = text.get("adjustment_id")
    elif action in ("record_payment", "refund"):
        for key in ("method", "amount", "reference", "note"):
            if text.get(key):
                data[key] = text[key]
    elif action == "follow_up":
        for key in ("outcome", "satisfaction", "note", "not_satisfied_reason"):
            if text.get(key):
                data[key] = text[key]
        data["not_satisfied"] = checkbox(form, "not_satisfied")
    elif action == "cancel":
        data["reason"] = text.get("reason", "")
    elif action == "note":
        data["text"] = text.get("text", "")
        data["visibility"] = text.get("visibility") or "internal"
    elif action == "assign":
        data["assignee_id"] = text.get("assignee_id")
    elif action == "pause":
        data["reason"] = text.get("reason")
        if text.get("note"):
            data["note"] = text["note"]
    else:  # complete_repair, wash, resume, acknowledge
        for key in ("note", "parking_spot") if action == "wash" else ("note",):
            if text.get(key):
                data[key] = text[key]
    return data
