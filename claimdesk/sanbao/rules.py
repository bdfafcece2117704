"""The dated rule sets: the two regulations as seeds, and which set applies to a car (the one in force
on its purchase invoice date; a store's own set before the group-wide one of the same date)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import SanbaoRuleSet

#: 《家用汽车产品修理、更换、退货责任规定》 — AQSIQ order No. 150 (in force 2013-10-01) and its
#: replacement, SAMR order No. 43 (in force 2022-01-01). See docs/sanbao.md for the articles.
SEEDS = (
    {"code": "2013", "name": "AQSIQ order No. 150 (2013)", "valid_from": date(2013, 10, 1),
     "warranty_years": 3, "warranty_km": 60000, "period_years": 2, "period_km": 50000,
     "substitute_after_days": 5, "max_repair_days": 35, "max_same_problem": 5, "max_safety_repairs": 2,
     "max_replacements": 2, "warn_substitute_days": 4, "warn_repair_days": 25, "warn_same_problem": 4,
     "warn_safety_repairs": 1, "warn_replacements": 1,
     "assemblies": ["engine", "transmission"],
     "component_systems": ["engine", "transmission", "steering", "brakes", "suspension", "axles", "body"]},
    {"code": "2022", "name": "SAMR order No. 43 (2022)", "valid_from": date(2022, 1, 1),
     "warranty_years": 3, "warranty_km": 60000, "period_years": 2, "period_km": 50000,
     "substitute_after_days": 5, "max_repair_days": 30, "max_same_problem": 4, "max_safety_repairs": 2,
     "max_replacements": 2, "warn_substitute_days": 4, "warn_repair_days": 20, "warn_same_problem": 3,
     "warn_safety_repairs": 1, "warn_replacements": 1,
     "assemblies": ["engine", "transmission", "traction_battery", "drive_motor"],
     "component_systems": ["engine", "transmission", "traction_battery", "drive_motor", "steering", "brakes",
                           "suspension", "drivetrain", "emission_control", "body"]},
)

#: the fields an administrator may change (the thresholds; the seeds' dates and systems stay)
EDITABLE = ("warranty_years", "warranty_km", "period_years", "period_km", "substitute_after_days",
            "max_repair_days", "max_same_problem", "max_safety_repairs", "max_replacements",
            "warn_substitute_days", "warn_repair_days", "warn_same_problem", "warn_safety_repairs",
            "warn_replacements")


def seed_rule_sets() -> list[SanbaoRuleSet]:
    """Add the two regulations' group-wide sets if missing (idempotent). Two transactions seeding at once:
    the unique index on a group-wide code lets one win; the other's savepoint rolls back and it reads
    the winner's rows."""
    have = set(db.session.scalars(sa.select(SanbaoRuleSet.code).where(SanbaoRuleSet.store_id.is_(None))))
    added = [SanbaoRuleSet(**s) for s in SEEDS if s["code"] not in have]
    if not added:
        return []
    try:
        with db.session.begin_nested():
            db.session.add_all(added)
    except IntegrityError:
        return []
    return added


def rule_set_for(purchase_date: date | None, store_id: int | None) -> SanbaoRuleSet | None:
    """The set in force on the purchase date (today's when unknown); the store's own wins a tie."""
    if not db.session.scalar(sa.select(sa.func.count()).select_from(SanbaoRuleSet)):
        seed_rule_sets()
    stmt = sa.select(SanbaoRuleSet).where(sa.or_(SanbaoRuleSet.store_id.is_(None),
                                                 SanbaoRuleSet.store_id == store_id))
    if purchase_date is not None:
        stmt = stmt.where(SanbaoRuleSet.valid_from <= purchase_date)
    stmt = stmt.order_by(SanbaoRuleSet.valid_from.desc(), SanbaoRuleSet.store_id.is_(None))
    return db.session.scalars(stmt.limit(1)).first()
