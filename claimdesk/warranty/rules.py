"""Brand rules (索赔政策) as configuration: the submission and old-part return deadlines, the
pre-authorisation threshold and the evidence each brand's manufacturer requires."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..core.clock import now
from ..core.errors import Conflict, NotFound
from ..extensions import db
from .models import EVIDENCE_KINDS, WarrantyBrandRule

#: what a brand without its own rule gets (a claim is still possible; the manager should add the rule)
DEFAULT_RULE = {"submission_days": 30, "return_days": 30, "preauth_threshold": None,
                "required_evidence": ["photos", "fault_code", "vin", "mileage", "labour_codes", "old_part_tag"]}


def ordered_evidence(kinds) -> list[str]:
    return [k for k in EVIDENCE_KINDS if k in set(kinds or ())]


def rule_for(make: str | None) -> WarrantyBrandRule:
    """The brand's active rule, else an unsaved default rule (never written)."""
    if make:
        row = db.session.scalar(sa.select(WarrantyBrandRule).where(
            sa.func.lower(WarrantyBrandRule.make) == make.strip().lower(), WarrantyBrandRule.active.is_(True)))
        if row is not None:
            return row
    return WarrantyBrandRule(make=make or "", **DEFAULT_RULE)


def needs_preauth(rule: WarrantyBrandRule, amount: Decimal) -> bool:
    return rule.preauth_threshold is not None and amount > rule.preauth_threshold


def get_rule(rule_id: int) -> WarrantyBrandRule:
    row = db.session.get(WarrantyBrandRule, rule_id)
    if row is None:
        raise NotFound(str(_l("Brand rule %(id)s not found.", id=rule_id)))
    return row


def _check_unique(make: str, rule_id: int | None) -> None:
    other = db.session.scalar(sa.select(WarrantyBrandRule.id).where(
        sa.func.lower(WarrantyBrandRule.make) == make.lower()))
    if other is not None and other != rule_id:
        raise Conflict(str(_l("There is a rule for %(make)s already.", make=make)), code="duplicate")


#: entries of a rule's change history kept (newest first)
HISTORY_KEPT = 100


def _jsonable(value):
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def _record(row: WarrantyBrandRule, user, **entry) -> None:
    entry = {"at": now().isoformat(), "by_id": getattr(user, "id", None),
             "by": getattr(user, "display_name", None), **entry}
    row.history = [entry, *(row.history or [])][:HISTORY_KEPT]  # a new list: the JSON change is seen


def create_rule(data: dict, user) -> WarrantyBrandRule:
    data = dict(data)
    data["make"] = data["make"].strip()
    _check_unique(data["make"], None)
    data["required_evidence"] = ordered_evidence(data.get("required_evidence"))
    row = WarrantyBrandRule(**data)
    _record(row, user, created=True, changes={k: [None, _jsonable(v)] for k, v in data.items() if v not in (None, [])})
    db.session.add(row)
    db.session.flush()
    return row


def update_rule(row: WarrantyBrandRule, data: dict, user) -> WarrantyBrandRule:
    """Change the fields given; what changed ({field: [old, new]}) goes into the rule's history with who and when
    (a save that changes nothing records nothing)."""
    if "make" in data:
        data = {**data, "make": data["make"].strip()}
        _check_unique(data["make"], row.id)
    changes = {}
    for key, value in data.items():
        if key == "required_evidence":
            value = ordered_evidence(value)
        old = getattr(row, key)
        if _jsonable(old) != _jsonable(value):
            changes[key] = [_jsonable(old), _jsonable(value)]
        setattr(row, key, value)
    if changes:
        _record(row, user, changes=changes)
    db.session.flush()
    return row
