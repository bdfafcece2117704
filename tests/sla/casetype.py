"""A small case type for the SLA tests (its table exists only inside a test, or for the duration
of a committed-data test), registered with the engine like the real case modules."""
from __future__ import annotations

import sqlalchemy as sa
from marshmallow import Schema, fields
from sqlalchemy.orm import Mapped, mapped_column

from claimdesk.core import numbering
from claimdesk.cases.actions import common_actions
from claimdesk.core.models import CaseMixin
from claimdesk.core.workflow import REGISTRY, Action, Workflow, register
from claimdesk.extensions import db


class Gadget(CaseMixin, db.Model):
    __tablename__ = "test_sla_gadgets"
    CASE_TYPE = "gadget"
    NUMBER_PREFIX = "GD"
    note: Mapped[str | None] = mapped_column(sa.String(40))


class PromiseIn(Schema):
    promised_at = fields.AwareDateTime(required=True)


def _promise(case, data, ctx):
    ctx.starts.append("gadget.promise")
    ctx.deadlines["gadget.promise"] = data["promised_at"]


class LetterIn(Schema):
    hours = fields.Integer(required=True)


def _letter(case, data, ctx):
    ctx.starts.append("gadget.reply")
    ctx.targets["gadget.reply"] = data["hours"] * 3600


ROLES = frozenset({"advisor"})
WF = Workflow("gadget", Gadget, ["open", "working", "done", "dropped"], {"done", "dropped"}, [
    Action("work", ("open",), "working", roles=ROLES, starts=("gadget.fix",), stops=("gadget.reply",)),
    Action("finish", ("working",), "done", roles=ROLES, stops=("gadget.fix",)),
    Action("reopen_fix", ("working",), None, roles=ROLES, stops=("gadget.fix",), starts=("gadget.fix",)),
    Action("stop_fix", ("working",), None, roles=ROLES, stops=("gadget.fix",)),
    Action("abandon_fix", ("working",), None, roles=ROLES, cancels=("gadget.fix",)),
    Action("promise", None, None, roles=ROLES, schema=PromiseIn, handler=_promise),
    Action("letter", None, None, roles=ROLES, schema=LetterIn, handler=_letter),
    Action("drop", None, "dropped", roles=ROLES),
    *common_actions(ROLES),
], initial="open")
if "gadget" not in REGISTRY:
    register(WF)


def create_table(bind) -> None:
    Gadget.__table__.create(bind=bind, checkfirst=True)


def drop_table(bind) -> None:
    Gadget.__table__.drop(bind=bind, checkfirst=True)


def open_gadget(store, customer, actor, *, assignee=None, starts=("gadget.reply",), **kw) -> Gadget:
    g = Gadget(store_id=store.id, customer_id=customer.id, number=numbering.next_number(store.id, "GD", 2026),
               state="open", assignee_id=getattr(assignee, "id", None))
    WF.start(g, actor, {}, starts=starts, **kw)
    return g
