"""Factories and helpers of the SLA tests: policies for the test case type's keys."""
from __future__ import annotations

from claimdesk.extensions import db
from claimdesk.sla.models import DEFAULT_LADDER, SlaPolicy, SlaPolicyVersion


def make_policy(key: str, target_seconds: int, *, calendar: str = "24x7", warn_ratio: float = 0.75,
                escalate_after_seconds: int = 3600, pause_reasons=("waiting_customer",), store_id=None,
                ladder=None) -> SlaPolicy:
    policy = SlaPolicy(key=key, store_id=store_id, version=1, target_seconds=target_seconds, calendar=calendar,
                       warn_ratio=warn_ratio, escalate_after_seconds=escalate_after_seconds,
                       pause_reasons=list(pause_reasons), ladder=ladder or [dict(s) for s in DEFAULT_LADDER])
    db.session.add(policy)
    db.session.flush()
    db.session.add(SlaPolicyVersion(policy_id=policy.id, key=key, store_id=store_id, version=1,
                                    target_seconds=target_seconds, calendar=calendar, warn_ratio=warn_ratio,
                                    escalate_after_seconds=escalate_after_seconds,
                                    pause_reasons=list(pause_reasons), ladder=policy.ladder))
    db.session.flush()
    return policy


def gadget_policies(fix=4 * 3600, reply=3600, promise=86400, **kw):
    return [make_policy("gadget.fix", fix, **kw), make_policy("gadget.reply", reply, **kw),
            make_policy("gadget.promise", promise, **kw)]
