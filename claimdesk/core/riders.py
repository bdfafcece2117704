"""Values a transaction will want whatever the request does, read with the request's first query.

The SLA configuration epoch (`sla.cache`) is read once in every transaction that starts a clock. As
a query of its own it is one more round trip for every creation and action; instead it rides as an
extra column on the query that identifies the caller (the bearer token, or the user of the session
cookie), which a request makes first. A rider is a scalar subquery and a function that takes the value
read; the function keeps it for the current transaction just as its own query would have.
"""
from __future__ import annotations

from typing import Any, Callable

import sqlalchemy as sa

_RIDERS: dict[str, tuple[sa.ScalarSelect, Callable[[Any], None]]] = {}
_ATTACHED: dict[int, tuple[sa.Select, sa.Select]] = {}


def register(name: str, subquery: sa.ScalarSelect, remember: Callable[[Any], None]) -> None:
    """`subquery`'s value goes to `remember` whenever a query carrying the riders has run."""
    _RIDERS[name] = (subquery, remember)
    _ATTACHED.clear()


def attach(stmt: sa.Select) -> sa.Select:
    """`stmt` with every rider as an extra column after its own (built once per statement object)."""
    hit = _ATTACHED.get(id(stmt))
    if hit is None or hit[0] is not stmt:
        hit = _ATTACHED[id(stmt)] = (stmt, stmt.add_columns(
            *(subquery.label(f"rider_{name}") for name, (subquery, _r) in _RIDERS.items())))
    return hit[1]


def deliver(row, start: int) -> None:
    """Hand the riders' values in `row` (from column `start` on) to their takers."""
    for offset, (_subquery, remember) in enumerate(_RIDERS.values()):
        remember(row[start + offset])
