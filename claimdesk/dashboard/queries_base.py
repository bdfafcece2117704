"""What every dashboard aggregate shares: the filters, the store scope, the dialect, names by id."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ..auth.models import Store, User
from ..claims.models import Insurer
from ..extensions import db
from .models import CASE_TYPES  # noqa: F401  (re-exported for the query modules)


@dataclass(frozen=True)
class Filters:
    """What every aggregate is restricted to. `store_ids` None = every store (group-wide, no filter)."""

    store_ids: tuple[int, ...] | None
    date_from: datetime
    date_to: datetime
    case_type: str | None
    now: datetime
    tz: str = "Asia/Shanghai"
    extra: dict = field(default_factory=dict)

    def includes(self, case_type: str) -> bool:
        return self.case_type is None or self.case_type == case_type


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _store_filter(column, f: Filters):
    if f.store_ids is None:
        return sa.true()
    if len(f.store_ids) == 1:
        return column == f.store_ids[0]
    return column.in_(f.store_ids)


def _user_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return {i: full or user for i, full, user in db.session.execute(
        sa.select(User.id, User.full_name, User.username).where(User.id.in_(sorted(ids))))}


def _stores(ids) -> dict[int, Store]:
    if not ids:
        return {}
    return {s.id: s for s in db.session.scalars(sa.select(Store).where(Store.id.in_(sorted(ids))))}


def _aware(value):
    from ..core.clock import utc

    return utc(value)


def _insurer_names(ids) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Insurer.id, sa.func.coalesce(Insurer.short_name, Insurer.name))
                                   .where(Insurer.id.in_(sorted(ids)))).all())
