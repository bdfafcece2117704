"""Every permission rule in one place: what each role may do, and which stores a user sees.

Case actions carry their own role lists in each case type's workflow table; everything else is
named here. A case in another store is answered as 404 so that its existence never leaks.
"""
from __future__ import annotations

from functools import lru_cache

import sqlalchemy as sa
import sqlalchemy.orm
from flask import g
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..core.errors import Forbidden, NotFound, Unauthenticated
from ..extensions import db

ALL = frozenset({"customer_relations", "advisor", "front_desk_supervisor", "workshop", "qc_inspector", "info_clerk",
                 "manager", "admin"})
STAFF = ALL - {"admin"}
#: the front-desk supervisor (前台主管) may do whatever an advisor may, for every advisor of the store
#: (case actions: the workflows' advisor role sets include it), and sees the front-desk reports
SUPERVISOR = "front_desk_supervisor"

PERMISSIONS: dict[str, frozenset[str]] = {
    "customers.read": ALL,
    "customers.write": frozenset({"customer_relations", "advisor", "front_desk_supervisor", "manager", "admin"}),
    "workorders.read": STAFF,
    "workorders.create": frozenset({"advisor", "front_desk_supervisor", "manager"}),
    "parts.write": frozenset({"advisor", "front_desk_supervisor", "workshop", "manager", "admin"}),
    "complaints.read": STAFF,
    "complaints.create": frozenset({"customer_relations", "advisor", "front_desk_supervisor", "manager"}),
    "claims.read": frozenset({"advisor", "front_desk_supervisor", "manager", "customer_relations"}),
    "claims.create": frozenset({"advisor", "front_desk_supervisor", "manager"}),
    "documents.upload": frozenset({"advisor", "front_desk_supervisor", "manager"}),
    # manufacturer warranty claims (厂家索赔); the brands' rules are configuration a manager keeps
    "warranty.read": frozenset({"advisor", "front_desk_supervisor", "manager", "info_clerk"}),
    "warranty.create": frozenset({"advisor", "front_desk_supervisor", "manager"}),
    "warranty.rules": frozenset({"manager", "admin"}),
    "insurers.read": ALL,
    # adding an insurer; changing one: insurers.edit
    "insurers.write": frozenset({"advisor", "front_desk_supervisor", "manager", "admin"}),
    # insurers are shared by the group: changing one (name, documents …) is also for group-wide users only
    "insurers.edit": frozenset({"manager", "admin"}),
    "sla.read": ALL,
    "sla.policies.read": frozenset({"manager", "admin"}),
    "sla.policies.write": frozenset({"manager", "admin"}),
    "sla.calendars.write": frozenset({"manager", "admin"}),
    # the information clerk (信息员) prepares the reports: dashboards, reports and their exports
    "dashboard.view": frozenset({"manager", "admin", "info_clerk", "front_desk_supervisor"}),
    # the store's front-desk settings (separate check signers, first free service rules): its managers
    "stores.settings": frozenset({"manager", "admin"}),
    # the appointment diary and the service-reminder / campaign call lists (workshop may not book)
    "appointments.read": STAFF,
    "appointments.book": frozenset({"advisor", "front_desk_supervisor", "manager", "customer_relations"}),
    "appointments.settings": frozenset({"manager", "admin"}),
    "reminders.read": frozenset({"advisor", "front_desk_supervisor", "manager", "customer_relations", "info_clerk"}),
    "reminders.work": frozenset({"advisor", "front_desk_supervisor", "manager", "customer_relations"}),
    "campaigns.manage": frozenset({"manager"}),
    "sanbao.rules.write": frozenset({"manager", "admin"}),  # the 三包 rule sets' thresholds
    "users.manage": frozenset({"admin"}),
    "stores.manage": frozenset({"admin"}),
}


def actor():
    """The authenticated user of this request (session or bearer token), or 401."""
    user = current_user
    if user is None or not getattr(user, "is_authenticated", False):
        raise Unauthenticated(str(_l("Log in or send a valid bearer token.")))
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def can(user, permission: str) -> bool:
    return user is not None and user.role in PERMISSIONS[permission]


def require(permission: str, user=None):
    user = user or actor()
    if not can(user, permission):
        raise Forbidden(str(_l("Your role may not do this (%(perm)s).", perm=permission)))
    return user


def require_group_wide(permission: str, user=None):
    """`permission`, and a group-wide account: for records every store shares (insurers)."""
    user = require(permission, user)
    if not user.is_group:
        raise Forbidden(str(_l("This is shared by every store of the group: only a group-wide account may "
                               "change it.")))
    return user


def may_edit_group_wide(user, permission: str) -> bool:
    return can(user, permission) and bool(user.is_group)


def require_user_scope(admin, store_id: int, group: bool) -> None:
    """Administrators manage the accounts of their own store; other stores' accounts and group-wide ones
    (which see every store) are for a group-wide administrator."""
    if admin.is_group:
        return
    if store_id != admin.store_id or group:
        raise Forbidden(str(_l("Only a group-wide administrator manages other stores and group-wide accounts.")))


def visible_store_ids(user) -> list[int] | None:
    """None means every store (group-wide users)."""
    if user.is_group:
        return None
    return [user.store_id]


def sees_store(user, store_id: int) -> bool:
    ids = visible_store_ids(user)
    return ids is None or store_id in ids


def scoped(stmt, model, user=None):
    """Restrict a select to the stores the user sees."""
    user = user or actor()
    ids = visible_store_ids(user)
    if ids is None:
        return stmt
    return stmt.where(model.store_id.in_(ids))


def get_or_404(model, ident, user=None, *, for_update: bool = False):
    """Load a store-owned row the user may see; anything else is the same 404."""
    user = user or actor()
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        raise NotFound(str(_l("Not found."))) from None
    stmt = sa.select(model).where(model.id == ident).options(*_one_row_loads(model))
    if for_update and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=model)  # lock the case row only, not eager-loaded joins
    obj = db.session.scalar(stmt)
    if obj is None or not sees_store(user, obj.store_id):
        raise NotFound(str(_l("Not found (id %(id)s), or not in your store.", id=ident)))
    return obj


@lru_cache(maxsize=None)
def _one_row_loads(model) -> tuple:
    """For one row, its `selectin` many-to-one relationships (right for lists: one query per
    relationship for the whole page) come in the same query, joined: one round trip instead of one
    per relationship."""
    return tuple(sa.orm.joinedload(getattr(model, rel.key)) for rel in sa.inspect(model).relationships
                 if rel.lazy == "selectin" and rel.direction is sa.orm.MANYTOONE)


def store_for_new(user, requested_store_id: int | None) -> int:
    """The store a new record goes to: the user's own, or (group users) the one asked for."""
    if requested_store_id is None or requested_store_id == user.store_id:
        return user.store_id
    if not user.is_group:
        raise Forbidden(str(_l("You may only create records in your own store.")))
    from .models import Store

    if db.session.get(Store, requested_store_id) is None:
        raise NotFound(str(_l("Unknown store.")))
    return requested_store_id


def remember_api_user(user) -> None:
    g._login_user = user
