"""Verbs behind the SLA pages and API: who may change which store's policies and calendar,
changing a policy, asking for a re-baselining run (preview first), and the job overview."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from .. import jobs
from ..auth.models import Store
from ..auth.permissions import require, sees_store
from ..core.clock import now
from ..core.errors import Conflict, DomainError, Forbidden, NotFound
from ..extensions import db
from . import policies, rebaseline
from .models import SlaPolicy, SlaRebaseline

log = logging.getLogger(__name__)


def is_group_wide(user) -> bool:
    """Admins and group managers configure the group defaults and every store."""
    return user.role == "admin" or user.is_group


def policy_scope(user, store_id: int | None) -> int | None:
    """The store a policy read or change is about (None = the group default)."""
    if store_id is None:
        return None if is_group_wide(user) else user.store_id
    if db.session.get(Store, store_id) is None or not sees_store(user, store_id) and not is_group_wide(user):
        raise NotFound(str(_l("Unknown store.")))
    return store_id


def store_for_calendar(user, store_id: int, *, write: bool = False) -> Store:
    store = db.session.get(Store, store_id)
    if store is None or not (sees_store(user, store_id) or is_group_wide(user)):
        raise NotFound(str(_l("Unknown store.")))
    if write:
        require("sla.calendars.write", user)
    return store


def list_policies(user, store_id: int | None):
    require("sla.policies.read", user)
    return policies.effective_policies(policy_scope(user, store_id))


def change_policy(user, key: str, data: dict) -> SlaPolicy:
    require("sla.policies.write", user)
    data = dict(data)
    scope = policy_scope(user, data.pop("store_id", None))
    if scope is None and not is_group_wide(user):
        raise Forbidden(str(_l("Only admins and group managers change the group defaults.")))
    return policies.update_policy(key, scope, data, user)


def _version_for(user, key: str, store_id: int | None):
    scope = policy_scope(user, store_id)
    policy = policies.effective_policy(key, scope)
    if policy is None:
        raise NotFound(str(_l("Unknown SLA policy %(key)s.", key=key)))
    if policy.store_id != scope:
        raise Conflict(str(_l("This store has no policy of its own for %(key)s; change it first.", key=key)),
                       code="no_store_policy")
    return policy, policies.current_version(policy)


def preview_rebaseline(user, key: str, store_id: int | None) -> dict:
    require("sla.policies.write", user)
    policy, version = _version_for(user, key, store_id)
    out = rebaseline.rebaseline_preview(version, policy.store_id, now())
    return {"policy_key": key, "policy_version": version.version, "store_id": policy.store_id, **out}


def request_rebaseline(user, key: str, store_id: int | None, expected: int | None) -> SlaRebaseline:
    """Record the audited run and queue it; refused if the preview the user saw is out of date."""
    require("sla.policies.write", user)
    policy, version = _version_for(user, key, store_id)
    if policy.store_id is None and not is_group_wide(user):
        raise Forbidden(str(_l("Only admins and group managers change the group defaults.")))
    preview = rebaseline.rebaseline_preview(version, policy.store_id, now())
    if expected is None or expected != preview["would_move"]:
        raise Conflict(str(_l("Preview first: %(n)s deadlines would move now; send that number as expected.",
                              n=preview["would_move"])), code="preview_mismatch", extra={"preview": preview})
    run = SlaRebaseline(policy_id=policy.id, policy_version_id=version.id, requested_by_id=user.id,
                        requested_at=now(), state="queued", previewed=preview["would_move"])
    db.session.add(run)
    db.session.flush()
    jobs.enqueue("claimdesk.sla.jobs.rebaseline", run.id, job_id=f"sla-rebaseline-{run.id}", queue="sla")
    return run


def recent_rebaselines(user, limit: int = 20) -> list[SlaRebaseline]:
    stmt = sa.select(SlaRebaseline).join(SlaPolicy).order_by(SlaRebaseline.id.desc()).limit(limit)
    if not is_group_wide(user):
        stmt = stmt.where(sa.or_(SlaPolicy.store_id == user.store_id, SlaPolicy.store_id.is_(None)))
    return list(db.session.scalars(stmt))


def job_overview(limit: int = 50) -> dict:
    """Scheduled, queued and failed jobs of the SLA and mail queues (failed ones with their error)."""
    from redis.exceptions import RedisError

    try:
        return _job_overview(limit)
    except (RedisError, OSError) as exc:
        # The queue lives in Redis; without it there is nothing to show (the database and its
        # sweep still keep every deadline). The documented answer is 503, not a crash.
        log.warning("job overview: Redis unavailable (%s)", exc.__class__.__name__)
        raise DomainError(str(_l("The job queue (Redis) is unavailable; try again later.")),
                          status=503, code="service_unavailable") from None


def _job_overview(limit: int) -> dict:
    from rq.job import Job

    out = {"scheduled": 0, "queued": 0, "failed_count": 0, "failed": []}
    for name in ("sla", "mail"):
        q = jobs.get_queue(name)
        out["scheduled"] += q.scheduled_job_registry.count
        out["queued"] += q.count
        failed = q.failed_job_registry
        out["failed_count"] += failed.count
        ids = failed.get_job_ids(0, limit - 1)
        for job in Job.fetch_many(ids, connection=q.connection):
            if job is None:
                continue
            exc = job.latest_result().exc_string if job.latest_result() else None
            out["failed"].append({"id": job.id, "queue": name, "func": job.func_name,
                                  "status": job.get_status(refresh=False), "retries_left": job.retries_left,
                                  "enqueued_at": job.enqueued_at, "ended_at": job.ended_at,
                                  "error": (exc or "").strip().splitlines()[-1] if exc else None})
    return out
