"""Policies (group defaults with per-store overrides, each change a new immutable version) and the
store calendars the engine computes with."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from ..core.clock import now
from ..core.errors import NotFound, ValidationFailed
from ..extensions import db
from .calendar import (DEFAULT_WEEK, BusinessCalendar, intervals_from_json, intervals_to_json,
                       parse_intervals)
from . import cache
from .models import DEFAULT_LADDER, RECIPIENTS, SlaCalendar, SlaCalendarDay, SlaPolicy, SlaPolicyVersion

HOUR = 3600
DAY = 86400
#: a business day is 8 open hours (08:30–12:00 and 13:30–18:00)
BUSINESS_DAY = 8 * HOUR

#: domain.md §4, the defaults the group ships with: key -> (target, calendar, escalate after, pause reasons)
DEFAULTS: dict[str, tuple[int, str, int, list[str]]] = {
    "complaint.first_response": (2 * HOUR, "business", 2 * HOUR, []),
    "complaint.resolution": (3 * BUSINESS_DAY, "business", BUSINESS_DAY, ["waiting_customer", "waiting_manufacturer"]),
    "complaint.follow_up": (3 * DAY, "24x7", DAY, ["waiting_customer"]),
    "work_order.promised_completion": (DAY, "24x7", 4 * HOUR,
                                       ["waiting_customer", "waiting_parts", "waiting_manufacturer"]),
    "work_order.extra_work_approval": (2 * HOUR, "business", 2 * HOUR, []),
    "work_order.follow_up_call": (3 * DAY, "24x7", DAY, ["waiting_customer"]),
    "claim.assessment": (BUSINESS_DAY, "business", 4 * HOUR, ["waiting_insurer", "waiting_customer"]),
    "claim.documents": (7 * DAY, "24x7", 3 * DAY, ["waiting_insurer"]),
    "claim.payout": (30 * DAY, "24x7", 7 * DAY, ["waiting_documents", "waiting_customer"]),
    # warranty claims: the submission and return deadlines are set per claim from the brand's rules
    "warranty.submission": (30 * DAY, "24x7", 2 * DAY, []),
    "warranty.part_return": (30 * DAY, "24x7", 3 * DAY, []),
    "warranty.decision": (30 * DAY, "24x7", 7 * DAY, ["waiting_documents"]),
    "warranty.reimbursement": (45 * DAY, "24x7", 15 * DAY, []),
}

LABELS = {
    "complaint.first_response": _l("Complaint: first response"),
    "complaint.resolution": _l("Complaint: resolution"),
    "complaint.follow_up": _l("Complaint: follow-up"),
    "work_order.promised_completion": _l("Work order: promised completion"),
    "work_order.extra_work_approval": _l("Work order: extra-work approval"),
    "work_order.follow_up_call": _l("Work order: follow-up call"),
    "claim.assessment": _l("Claim: assessment"),
    "claim.documents": _l("Claim: documents complete"),
    "claim.payout": _l("Claim: payout"),
    "warranty.submission": _l("Warranty: submission deadline"),
    "warranty.part_return": _l("Warranty: old-part return"),
    "warranty.decision": _l("Warranty: manufacturer's decision"),
    "warranty.reimbursement": _l("Warranty: reimbursement"),
}


def label(key: str) -> str:
    return str(LABELS.get(key, key))


# --- policies -----------------------------------------------------------------------------------
def effective_policy(key: str, store_id: int | None) -> SlaPolicy | None:
    """The store's own policy for `key`, else the group default."""
    rows = db.session.scalars(sa.select(SlaPolicy).where(
        SlaPolicy.key == key, sa.or_(SlaPolicy.store_id == store_id, SlaPolicy.store_id.is_(None))))
    best = None
    for row in rows:
        if row.store_id is not None or best is None:
            best = row
    return best


def effective_policies(store_id: int | None) -> list[SlaPolicy]:
    """Every key's policy as it applies to the store (store override or group default), by key."""
    rows = db.session.scalars(sa.select(SlaPolicy).where(
        sa.or_(SlaPolicy.store_id == store_id, SlaPolicy.store_id.is_(None))) if store_id is not None
        else sa.select(SlaPolicy).where(SlaPolicy.store_id.is_(None)))
    by_key: dict[str, SlaPolicy] = {}
    for row in rows:
        if row.key not in by_key or row.store_id is not None:
            by_key[row.key] = row
    return [by_key[k] for k in sorted(by_key)]


def current_versions(keys, store_id: int | None) -> dict[str, SlaPolicyVersion]:
    """The current version of each key's effective policy (the store's own, else the group default),
    in one query, kept per configuration epoch (sla/cache.py). A key whose effective policy lacks its
    version row is left out: the caller falls back to effective_policy + current_version, which repairs it."""
    keys = tuple(sorted(set(keys)))
    values = cache.cached(("versions", store_id, keys), lambda: {
        key: cache.version_values(v) for key, v in _load_current_versions(keys, store_id).items()})
    return {key: cache.version_instance(v) for key, v in values.items()}


def _load_current_versions(keys, store_id: int | None) -> dict[str, SlaPolicyVersion]:
    rows = db.session.execute(
        sa.select(SlaPolicy.key, SlaPolicy.store_id, SlaPolicyVersion)
        .outerjoin(SlaPolicyVersion, sa.and_(SlaPolicyVersion.policy_id == SlaPolicy.id,
                                             SlaPolicyVersion.version == SlaPolicy.version))
        .where(SlaPolicy.key.in_(sorted(set(keys))),
               sa.or_(SlaPolicy.store_id == store_id, SlaPolicy.store_id.is_(None))))
    best: dict[str, tuple] = {}
    for key, sid, version in rows:
        if key not in best or sid is not None:
            best[key] = (sid, version)
    return {key: version for key, (_sid, version) in best.items() if version is not None}


def current_version(policy: SlaPolicy) -> SlaPolicyVersion:
    row = db.session.scalar(sa.select(SlaPolicyVersion).where(
        SlaPolicyVersion.policy_id == policy.id, SlaPolicyVersion.version == policy.version))
    if row is None:  # a policy row is always written with its version; repair rather than fail
        row = _snapshot(policy, None)
    return row


def _snapshot(policy: SlaPolicy, user) -> SlaPolicyVersion:
    row = SlaPolicyVersion(policy_id=policy.id, key=policy.key, store_id=policy.store_id, version=policy.version,
                           target_seconds=policy.target_seconds, calendar=policy.calendar,
                           warn_ratio=policy.warn_ratio, escalate_after_seconds=policy.escalate_after_seconds,
                           pause_reasons=list(policy.pause_reasons), ladder=list(policy.ladder),
                           created_at=now(), created_by_id=getattr(user, "id", None))
    db.session.add(row)
    db.session.flush()
    return row


def validate_ladder(ladder) -> list[dict]:
    out = []
    seen = set()
    for step in ladder or []:
        level = step.get("level")
        if level not in (1, 2, 3) or level in seen:
            raise ValidationFailed(str(_l("Some fields are invalid.")),
                                   fields={"ladder": [str(_l("Levels are 1 (warning), 2 (breach), 3 (later), each once."))]})
        seen.add(level)
        notify = [n for n in step.get("notify", [])]
        if any(n not in RECIPIENTS for n in notify):
            raise ValidationFailed(str(_l("Some fields are invalid.")),
                                   fields={"ladder": [str(_l("Unknown recipient; use %(names)s.",
                                                             names=", ".join(RECIPIENTS)))]})
        out.append({"level": level, "at": {1: "warn", 2: "due", 3: "escalate"}[level], "notify": notify,
                    "escalate": level >= 2})
    return sorted(out, key=lambda s: s["level"])


def update_policy(key: str, store_id: int | None, data: dict, user) -> SlaPolicy:
    """Change a policy (creating the store's override from the group default on first change).
    Applies to clocks started from now on; running clocks keep the version they started with."""
    base = effective_policy(key, store_id)
    if base is None:
        raise NotFound(str(_l("Unknown SLA policy %(key)s.", key=key)))
    policy = base
    if base.store_id != store_id:  # first override of a group default for this store
        policy = SlaPolicy(key=key, store_id=store_id, version=0, target_seconds=base.target_seconds,
                           calendar=base.calendar, warn_ratio=base.warn_ratio,
                           escalate_after_seconds=base.escalate_after_seconds,
                           pause_reasons=list(base.pause_reasons), ladder=list(base.ladder))
        db.session.add(policy)
    for field in ("target_seconds", "calendar", "warn_ratio", "escalate_after_seconds"):
        if field in data:
            setattr(policy, field, data[field])
    if "pause_reasons" in data:
        policy.pause_reasons = sorted(set(data["pause_reasons"]))
    if "ladder" in data:
        policy.ladder = validate_ladder(data["ladder"])
    policy.version = (policy.version or 0) + 1
    policy.updated_at = now()
    policy.updated_by_id = getattr(user, "id", None)
    db.session.flush()
    _snapshot(policy, user)
    return policy


# --- calendars ----------------------------------------------------------------------------------
def calendar_row(store_id: int | None) -> SlaCalendar | None:
    return db.session.scalar(sa.select(SlaCalendar).where(
        SlaCalendar.store_id.is_(None) if store_id is None else SlaCalendar.store_id == store_id))


def calendar_for_edit(store, user) -> SlaCalendar:
    """The store's own calendar row, created from the group's on first edit."""
    row = calendar_row(store.id)
    if row is None:
        group = calendar_row(None)
        row = SlaCalendar(store_id=store.id, timezone=store.timezone,
                          week=list(group.week) if group else list(DEFAULT_WEEK),
                          updated_by_id=getattr(user, "id", None))
        db.session.add(row)
        db.session.flush()
    return row


def to_business_calendar(row: SlaCalendar | None, tz: str = "Asia/Shanghai") -> BusinessCalendar:
    if row is None:
        week = tuple(intervals_from_json(d) for d in DEFAULT_WEEK)
        return BusinessCalendar(tz=tz, weekly=week)
    week = tuple(intervals_from_json(d) for d in (row.week or DEFAULT_WEEK))
    closed: dict = {}
    extra: dict = {}
    for d in row.days:
        spans = intervals_from_json(d.spans)
        if d.kind == "workday":
            extra[d.day] = spans
        elif d.kind == "holiday" or not spans:
            closed[d.day] = None
        else:
            closed[d.day] = spans
    return BusinessCalendar(tz=row.timezone, weekly=week, closed=closed, extra_open=extra)


def load_calendars(store_ids) -> dict[int, BusinessCalendar]:
    """BusinessCalendar per store, kept per configuration epoch (sla/cache.py); the stores not kept yet
    are read together (their own rows and the group's, their time zones)."""
    out = {sid: cache.get(("calendar", sid)) for sid in sorted(set(store_ids))}
    missing = [sid for sid, cal in out.items() if cal is None]
    if missing:
        for sid, cal in _read_calendars(missing).items():
            cache.put(("calendar", sid), cal)
            out[sid] = cal
    return out


def _read_calendars(ids: list[int]) -> dict[int, BusinessCalendar]:
    from ..auth.models import Store

    rows = {r.store_id: r for r in db.session.scalars(sa.select(SlaCalendar).where(
        sa.or_(SlaCalendar.store_id.in_(ids), SlaCalendar.store_id.is_(None))))}
    zones = dict(db.session.execute(sa.select(Store.id, Store.timezone).where(Store.id.in_(ids))).all())
    out = {}
    for sid in ids:
        own = rows.get(sid)
        if own is not None:
            out[sid] = to_business_calendar(own)
        else:
            group = rows.get(None)
            cal = to_business_calendar(group, zones.get(sid, "Asia/Shanghai"))
            # the group's hours in the store's own time zone
            out[sid] = BusinessCalendar(tz=zones.get(sid, cal.tz), weekly=cal.weekly, closed=cal.closed,
                                        extra_open=cal.extra_open)
    return out


def set_week(row: SlaCalendar, week_texts: list[str], timezone: str | None, user) -> SlaCalendar:
    """Opening hours per weekday as text ("08:30-12:00, 13:30-18:00"; empty = closed)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    errors = {}
    week = []
    for i, text in enumerate(week_texts):
        try:
            week.append(intervals_to_json(parse_intervals(text)))
        except ValueError as exc:
            errors[f"day{i}"] = [str(exc)]
    if len(week_texts) != 7:
        errors["week"] = [str(_l("Give the hours of all seven days, Monday first."))]
    if not errors and not any(week):
        errors["week"] = [str(_l("A calendar needs open hours on at least one day."))]
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = [str(_l("Unknown time zone."))]
    if errors:
        raise ValidationFailed(str(_l("Some fields are invalid.")), fields=errors)
    row.week = week
    if timezone:
        row.timezone = timezone
    row.updated_by_id = getattr(user, "id", None)
    row.updated_at = now()
    db.session.flush()
    return row


def add_days(row: SlaCalendar, start: date, end: date | None, kind: str, name: str, spans_text: str = "") -> list:
    """Mark one date or a run of dates (a holiday week) as holiday, closure or make-up working day."""
    end = end or start
    errors = {}
    if end < start:
        errors["end"] = [str(_l("The last day is before the first."))]
    if (end - start).days > 366:
        errors["end"] = [str(_l("At most a year at once."))]
    if kind not in ("holiday", "closure", "workday"):
        errors["kind"] = [str(_l("Choose holiday, closure or working day."))]
    try:
        spans = intervals_to_json(parse_intervals(spans_text))
    except ValueError as exc:
        errors["spans"] = [str(exc)]
        spans = []
    if kind == "workday" and not spans and not errors:
        errors["spans"] = [str(_l("Give the opening hours of the working day."))]
    if errors:
        raise ValidationFailed(str(_l("Some fields are invalid.")), fields=errors)
    existing = {d.day: d for d in row.days}
    out = []
    day = start
    while day <= end:
        d = existing.get(day)
        if d is None:
            d = SlaCalendarDay(day=day)
            row.days.append(d)
        d.kind, d.name, d.spans = kind, name.strip(), spans if kind != "holiday" else []
        out.append(d)
        day += timedelta(days=1)
    row.updated_at = now()
    db.session.flush()
    return out


def remove_day(row: SlaCalendar, day_id: int) -> None:
    for d in list(row.days):
        if d.id == day_id:
            row.days.remove(d)
            row.updated_at = now()
            db.session.flush()
            return
    raise NotFound(str(_l("No such day in this calendar.")))


def week_texts(row: SlaCalendar | None) -> list[str]:
    from .calendar import format_intervals

    week = row.week if row is not None and row.week else DEFAULT_WEEK
    return [format_intervals(intervals_from_json(d)) for d in week]


def default_ladder() -> list[dict]:
    return [dict(s) for s in DEFAULT_LADDER]

