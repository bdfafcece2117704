"""Brand rules (索赔政策) as configuration: the submission and old-part return deadlines, the
pre-authorisation threshold and the evidence each brand's manufacturer requires."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

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


def create_rule(data: dict) -> WarrantyBrandRule:
    data = dict(data)
    data["make"] = data["make"].strip()
    _check_unique(data["make"], None)
    data["required_evidence"] = ordered_evidence(data.get("required_evidence"))
    row = WarrantyBrandRule(**data)
    db.session.add(row)
    db.session.flush()
    return row


def update_rule(row: WarrantyBrandRule, data: dict) -> WarrantyBrandRule:
    if "make" in data:
        data = {**data, "make": data["make"].strip()}
        _check_unique(data["make"], row.id)
    for key, value in data.items():
        if key == "required_evidence":
            value = ordered_evidence(value)
        setattr(row, key, value)
    db.session.flush()
    return row
