"""The insurers every store shares: adding and editing them (group-wide, on the insurer's history) and
finding an active one for a claim. Their required documents become a new claim's checklist."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..core.clock import now
from ..core.errors import ValidationFailed
from ..extensions import db
from .models import DOCUMENT_KINDS, Insurer, InsurerChange


def _check_insurer_name(name: str, exclude_id: int | None = None) -> None:
    stmt = sa.select(Insurer.id).where(sa.func.lower(Insurer.name) == name.strip().lower())
    if exclude_id:
        stmt = stmt.where(Insurer.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise ValidationFailed(str(_l("An insurer with this name exists already.")),
                               fields={"name": [str(_l("Already in the list."))]})


def ordered_kinds(kinds) -> list[str]:
    wanted = set(kinds)
    return [k for k in DOCUMENT_KINDS if k in wanted]


#: insurer fields whose changes go on its history
_INSURER_FIELDS = ("name", "short_name", "hotline", "contacts", "required_documents", "active", "notes")


def create_insurer(data: dict, actor) -> Insurer:
    """Any store may add an insurer (it is shared by the group from then on); the creation is on its history."""
    data = dict(data)
    _check_insurer_name(data["name"])
    data["name"] = data["name"].strip()
    data["required_documents"] = ordered_kinds(data.get("required_documents") or [])
    insurer = Insurer(**data)
    db.session.add(insurer)
    db.session.flush()
    _record_insurer_change(insurer, actor, "created",
                           {k: [None, getattr(insurer, k)] for k in _INSURER_FIELDS if getattr(insurer, k) not in
                            (None, "", [])})
    return insurer


def update_insurer(insurer: Insurer, data: dict, actor) -> Insurer:
    """Changes apply to claims reported from now on; existing checklists keep what was agreed. Insurers are
    shared by every store, so only group-wide managers and admins change them (the caller checks with
    `auth.permissions.require_group_wide`); each change, field by field, goes on the insurer's history."""
    data = dict(data)
    if "name" in data:
        _check_insurer_name(data["name"], insurer.id)
        data["name"] = data["name"].strip()
    if "required_documents" in data:
        data["required_documents"] = ordered_kinds(data["required_documents"])
    changes = {}
    for key, value in data.items():
        old = getattr(insurer, key)
        if old != value:
            changes[key] = [old, value]
        setattr(insurer, key, value)
    db.session.flush()
    if changes:
        _record_insurer_change(insurer, actor, "updated", changes)
    return insurer


def _record_insurer_change(insurer: Insurer, actor, action: str, changes: dict) -> None:
    db.session.add(InsurerChange(insurer_id=insurer.id, actor_id=actor.id if actor else None, at=now(),
                                 action=action, changes=changes))
    db.session.flush()


def insurer_history(insurer: Insurer) -> list[InsurerChange]:
    return list(db.session.scalars(sa.select(InsurerChange).where(InsurerChange.insurer_id == insurer.id)
                                   .order_by(InsurerChange.at.desc(), InsurerChange.id.desc())))


def active_insurer(insurer_id: int, field: str = "insurer_id") -> Insurer:
    insurer = db.session.get(Insurer, insurer_id)
    if insurer is None or not insurer.active:
        raise ValidationFailed.on(field, _l("Unknown or inactive insurer."))
    return insurer
