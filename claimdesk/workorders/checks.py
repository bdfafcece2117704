"""The quality checks of a work order (self-check, team-leader check, final QC), failing back to repair,
and the car wash. Handlers of the state table's actions; bound by services.py (`WF.implement`)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.errors import Conflict, Forbidden, GateBlocked, ValidationFailed
from ..core.workflow import Context
from ..extensions import db
from .models import WorkOrder, WorkOrderCheck


def _s(msg) -> str:
    return str(msg)


#: the standard items of each check; a check may send its own list
CHECK_ITEMS = {
    "self": ["all approved items done", "fault no longer present", "parts fitted and tightened to spec",
             "no leaks or warning lights", "tools and covers removed"],
    "team_lead": ["work matches the work order", "workmanship", "road test if needed",
                  "recommendations recorded"],
    "final": ["every approved line done", "fault confirmed gone", "safety items checked",
              "old parts kept as agreed", "interior and exterior clean", "nothing left inside"],
}

_STAGE_BEFORE = {"self": None, "team_lead": "self", "final": "team_lead"}


def _stage_name(stage: str) -> str:
    return {"self": _s(_l("technician self-check")), "team_lead": _s(_l("team-leader check")),
            "final": _s(_l("final QC"))}[stage]


def _record_check(wo: WorkOrder, data: dict, ctx: Context, passed: bool) -> WorkOrderCheck:
    stage = data["stage"]
    items = data.get("items")
    if not items:
        items = [{"item": name, "passed": passed, "note": None} for name in CHECK_ITEMS[stage]]
        if not passed:
            items = [{"item": data.get("reason") or "check", "passed": False, "note": None}]
    items = [dict(i) for i in items]
    check = WorkOrderCheck(round=wo.rework_count, stage=stage, passed=passed, items=items,
                           reason=data.get("reason"), recommendations=data.get("recommendations"),
                           signed_by=data.get("signed_by") or (ctx.actor.display_name if ctx.actor else "system"),
                           actor_id=getattr(ctx.actor, "id", None), at=ctx.at)
    wo.checks.append(check)
    return check


def gate_check_order(wo: WorkOrder, data: dict, ctx: Context):
    stage = data["stage"]
    if wo.passed_stage(stage):
        raise GateBlocked("check_already_signed", _s(_l("The %(stage)s is already signed for this round.",
                                                        stage=_stage_name(stage))))
    before = _STAGE_BEFORE[stage]
    if before and not wo.passed_stage(before):
        raise GateBlocked(f"{before}_check_signed", _s(_l(
            "Cannot sign the %(stage)s: the %(before)s is not signed.", stage=_stage_name(stage),
            before=_stage_name(before))))


#: who signs each stage (managers may sign any)
SIGNER_ROLES = {"self": {"workshop"}, "team_lead": {"workshop"}, "final": {"qc_inspector"}}


def separate_signers(store) -> bool:
    """The store's rule (on unless its settings turn it off): one person signs at most one of the checks."""
    return bool((store.settings or {}).get("separate_check_signers", True))


def gate_check_signer(wo: WorkOrder, data: dict, ctx: Context):
    """The final QC is the QC inspector's, the other two the workshop's; and one person signs one check."""
    role = getattr(ctx.actor, "role", None)
    if ctx.actor is None:
        return
    stage = data["stage"]
    if role != "manager" and role not in SIGNER_ROLES[stage]:
        raise Forbidden(_s(_l("Only a QC inspector signs the final QC.")) if stage == "final" else
                        _s(_l("The %(stage)s is signed by the workshop.", stage=_stage_name(stage))))
    if ctx.action.name == "pass_check" and separate_signers(wo.store):
        mine = [c for c in wo.current_checks() if c.passed and c.actor_id == ctx.actor.id and c.stage != stage]
        if mine:
            raise GateBlocked("separate_check_signers", _s(_l(
                "You signed the %(other)s: another colleague signs the %(stage)s.",
                other=_stage_name(mine[0].stage), stage=_stage_name(stage))))


def pass_check(wo: WorkOrder, data: dict, ctx: Context):
    failed = [i["item"] for i in (data.get("items") or []) if not i["passed"]]
    if failed:
        raise ValidationFailed(_s(_l("Items failed (%(items)s): record a failed check instead.",
                                     items=", ".join(failed))),
                               fields={"items": [_s(_l("Every item must pass to sign the check."))]})
    check = _record_check(wo, data, ctx, True)
    db.session.flush()
    ctx.event_data["check_id"] = check.id
    if data["stage"] == "final":
        wo.ready_at = ctx.at
        wo.parking_spot = data.get("parking_spot") or wo.parking_spot
        ctx.target = "ready"
        ctx.stops.append("work_order.promised_completion")


def fail_check(wo: WorkOrder, data: dict, ctx: Context):
    if data.get("items") and all(i["passed"] for i in data["items"]):
        raise ValidationFailed(_s(_l("A failed check names at least one failed item.")),
                               fields={"items": [_s(_l("Mark the failed item(s)."))]})
    check = _record_check(wo, data, ctx, False)
    wo.rework_count += 1
    for line in wo.lines:
        if line.done:
            line.done = False
            line.done_at = None
    db.session.flush()
    ctx.event_data.update(check_id=check.id, rework_count=wo.rework_count)


def gate_final_check_passed(wo: WorkOrder, data: dict, ctx: Context):
    """The car is washed after the final QC (a wash before it would be undone by the checks)."""
    if not wo.passed_stage("final"):
        raise GateBlocked("final_qc_signed", _s(_l("Cannot record the wash: the final QC is not signed yet.")))


def wash(wo: WorkOrder, data: dict, ctx: Context):
    if wo.washed_at is not None:
        raise Conflict(_s(_l("The car wash is already recorded.")), code="invalid_state")
    wo.washed_at = ctx.at
    wo.parking_spot = data.get("parking_spot") or wo.parking_spot
