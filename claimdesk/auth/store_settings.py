"""A store's front-desk settings (`Store.settings`), edited by its managers and admins on one page:
- `separate_check_signers` (on by default): one person signs at most one of the three checks (workorders.checks);
- `first_service_rules`: the first free service (首保) per brand (customers.entitlements reads them):
  brand, months and km since purchase, payer (manufacturer | dealer), labour operation codes ("*": every
  labour line) and parts (part-number prefixes or words of the description).
Every change is kept in `settings["history"]` (who, when, what changed: the page's audit trail)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.clock import now
from ..core.errors import ValidationFailed
from .models import Store

RULES_KEY = "first_service_rules"
PAYERS = ("manufacturer", "dealer")
HISTORY_KEPT = 50
EDITABLE = ("separate_check_signers", RULES_KEY)


def _words(text: str | None) -> list[str]:
    """"FS01, FS02" / one per line → ["FS01", "FS02"]."""
    return [w.strip() for w in (text or "").replace("，", ",").replace("\n", ",").split(",") if w.strip()]


def _whole(value: str | None, field: str, errors: dict, low: int, high: int) -> int | None:
    try:
        number = int((value or "").strip())
    except ValueError:
        errors[field] = [str(_l("A whole number."))]
        return None
    if not low <= number <= high:
        errors[field] = [str(_l("Between %(low)s and %(high)s.", low=low, high=high))]
        return None
    return number


def rules_from_form(form, rows: int) -> list[dict]:
    """The rule rows of the page (`rule-<i>-brand` …); a row without a brand is ignored. Raises
    ValidationFailed with one message per bad field."""
    errors: dict[str, list[str]] = {}
    rules, brands = [], set()
    for i in range(rows):
        def get(key, i=i):
            return (form.get(f"rule-{i}-{key}") or "").strip()

        brand = get("brand")
        if not brand:
            continue
        if len(brand) > 64:
            errors[f"rule-{i}-brand"] = [str(_l("At most 64 characters."))]
        elif brand.casefold() in brands:
            errors[f"rule-{i}-brand"] = [str(_l("This brand has a rule already."))]
        brands.add(brand.casefold())
        months = _whole(get("months"), f"rule-{i}-months", errors, 1, 60)
        km = _whole(get("km"), f"rule-{i}-km", errors, 1, 100000)
        payer = get("payer")
        if payer not in PAYERS:
            errors[f"rule-{i}-payer"] = [str(_l("The manufacturer or the dealer."))]
        ops, parts = _words(get("labour_operations")), _words(get("parts"))
        if not ops and not parts:
            errors[f"rule-{i}-labour_operations"] = [str(_l("Name the labour operations or the parts it covers."))]
        rules.append({"brand": brand, "months": months, "km": km, "payer": payer, "labour_operations": ops,
                      "parts": parts})
    if errors:
        raise ValidationFailed(str(_l("Please correct the marked fields.")), fields=errors)
    return rules


def update(store: Store, values: dict, actor) -> dict:
    """Save the editable settings; returns what changed ({key: [old, new]}), recorded in the history."""
    old = dict(store.settings or {})
    changes = {}
    for key in EDITABLE:
        if key in values:
            before = old.get(key, True if key == "separate_check_signers" else [])
            if values[key] != before:
                changes[key] = [before, values[key]]
    if changes:
        entry = {"at": now().isoformat(), "by": getattr(actor, "username", None), "changes": changes}
        history = [entry, *(old.get("history") or [])][:HISTORY_KEPT]
        store.settings = {**old, **{k: values[k] for k in changes}, "history": history}  # a new dict: JSON change seen
    return changes
