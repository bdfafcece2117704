"""The dashboard as a list of sections: each is one table (what the page shows, what CSV and XLSX
export, cell for cell) and, where it helps, the chart drawn from that same table.

`collect(f)` runs the aggregates (queries.py, all SQL) once; `build(data, f)` turns them into
sections. Cells hold final, rounded values (int, float, Decimal, str or None) so the page, the CSV
and the XLSX cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from ..complaints.labels import CATEGORY_LABELS, CHANNEL_LABELS
from ..core import snapshot
from ..core.workflow import PAUSE_LABELS, REGISTRY
from ..sla.policies import LABELS as SLA_TIMER_LABELS
from . import queries as q

POLICY_LABELS = SLA_TIMER_LABELS  # the timers' names, as the SLA pages show them
CASE_TYPE_LABELS = {"work_order": _l("Work orders"), "complaint": _l("Complaints"), "claim": _l("Insurance claims"),
                    "warranty": _l("Warranty claims")}
AGE_LABELS = {"lt1d": _l("< 1 day"), "1to3d": _l("1–3 days"), "3to7d": _l("3–7 days"), "7to30d": _l("7–30 days"),
              "gt30d": _l("> 30 days")}
PAYOUT_AGE_LABELS = {"0to30d": _l("0–30 days"), "31to60d": _l("31–60 days"), "61to90d": _l("61–90 days"),
                     "gt90d": _l("> 90 days")}
LEVEL_LABELS = {1: _l("1 · warning to the assignee"), 2: _l("2 · breach, manager told"),
                3: _l("3 · escalated to the store manager")}


def label(mapping: dict, key) -> str:
    return str(mapping.get(key, key if key is not None else "—"))


def policy_label(key: str) -> str:
    return label(POLICY_LABELS, key)


@dataclass
class Column:
    key: str
    title: object
    kind: str = "text"  # text | int | pct | hours | days | money | datetime


@dataclass
class Section:
    key: str
    title: object
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    chart: dict | None = None
    note: object = None
    links: list = field(default_factory=list)  # per row: url of the case (page only) or None

    @property
    def headers(self) -> list[str]:
        return [str(c.title) for c in self.columns]

    def text_rows(self) -> list[list[str]]:
        return [[cell_text(v, c.kind) for v, c in zip(row, self.columns)] for row in self.rows]


def cell_text(value, kind: str = "text") -> str:
    """The one way a cell is written: on the page, in CSV, and the XLSX number format's equivalent."""
    if value is None:
        return ""
    if kind == "money":
        return f"{Decimal(value):.2f}"
    if kind == "pct":
        return f"{value:.1f}"
    if kind in ("hours", "days"):
        return f"{value:.2f}" if kind == "hours" else f"{value:.1f}"
    return str(value)


def pct(rate) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def hours(seconds) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


# --- gathering -----------------------------------------------------------------------------------------
def collect(f: q.Filters, *, group_wide: bool) -> dict:
    """Every aggregate of the dashboard (the JSON API returns this, serialised). The aggregates are
    independent: on PostgreSQL they run at once on several connections in one snapshot
    (core.snapshot), slowest first."""
    parts = snapshot.run({
        "stats": lambda: _stats(f),
        "backlog": lambda: q.backlog(f),
        "payouts": lambda: q.payouts(f),
        "urgent": lambda: q.urgent_clocks(f),
        "live": lambda: q.live_counts(f),
        "escalations": lambda: q.escalations_by_level(f),
        "documents_waiting": lambda: q.documents_waiting(f),
        "complaint_categories": lambda: q.complaints_over_time(f, "category"),
        "complaint_channels": lambda: q.complaints_over_time(f, "channel"),
        "work_order_satisfaction": lambda: q.work_order_satisfaction(f),
        "complaint_outcomes": lambda: q.complaint_outcomes(f),
        "paused_by_reason": lambda: q.paused_by_reason(f),
    })
    return {**parts.pop("stats"), **parts.pop("live"), **parts, "granularity": q.granularity(f)}


def _stats(f: q.Filters) -> dict:
    """p50/p90 per timer, advisor, store and insurer: one scan (GROUPING SETS), then the names."""
    stats = q.stats_by(f)
    return {"by_policy": q.by_policy(f, stats), "by_holder": q.by_holder(f, stats),
            "by_store": q.by_store(f, stats), "by_insurer": q.by_insurer(f, stats)}


# --- building the sections -----------------------------------------------------------------------------
STAT_COLUMNS = [Column("total", _l("Ended or breached"), "int"), Column("met", _l("Met"), "int"),
                Column("breached", _l("Breached"), "int"), Column("breach_rate", _l("Breach rate %"), "pct"),
                Column("p50", _l("Median (p50) h"), "hours"), Column("p90", _l("p90 h"), "hours")]


def _stat_cells(r: dict) -> list:
    return [r["total"], r["met"], r["breached"], pct(r["breach_rate"]), hours(r["p50_seconds"]),
            hours(r["p90_seconds"])]


def _bar(labels, datasets, *, stacked=False, horizontal=False, unit=None) -> dict:
    return {"type": "bar", "labels": [str(x) for x in labels], "stacked": stacked, "horizontal": horizontal,
            "unit": str(unit) if unit else None,
            "datasets": [{"label": str(name), "data": [None if v is None else float(v) for v in values]}
                         for name, values in datasets]}


#: what the SLA performance figures count (shown under each of their tables and in the report)
STAT_NOTE = _l("Breach rate = breached ÷ all timers that ended or breached in the period: the timers "
               "that ended in it, plus those still running whose deadline passed in it (they count as "
               "breached from that moment). Median and p90: the counted time of the timers that ended.")


def _stat_section(key, title, first: Column, rows: list[dict], name) -> Section:
    s = Section(key, title, [first, *STAT_COLUMNS], note=STAT_NOTE)
    s.rows = [[name(r), *_stat_cells(r)] for r in rows]
    if rows:
        s.chart = _bar([row[0] for row in s.rows],
                       [(_l("Median (p50) h"), [row[5] for row in s.rows]), (_l("p90 h"), [row[6] for row in s.rows])],
                       horizontal=len(rows) > 6, unit=_l("hours"))
    return s


def build(data: dict, f: q.Filters, *, group_wide: bool, case_url=None) -> list[Section]:
    out: list[Section] = []
    # 1. breached and at risk now
    s = Section("urgent", _l("Breached and at-risk timers now (least time left first)"), [
        Column("number", _l("Case")), Column("case_type", _l("Case type")), Column("timer", _l("Timer")),
        Column("status", _l("Status")), Column("due_at", _l("Due"), "datetime"),
        Column("left", _l("Time left h"), "hours"), Column("level", _l("Escalation level"), "int"),
        Column("assignee", _l("Held by")), Column("acknowledged", _l("Acknowledged"))])
    for r in data["urgent"]:
        left = hours((r["due_at"] - f.now).total_seconds()) if r["due_at"] else None
        s.rows.append([r["number"], label(CASE_TYPE_LABELS, r["case_type"]), policy_label(r["policy_key"]),
                       str(_l("breached")) if r["breached"] else str(_l("at risk")),
                       format_datetime(r["due_at"], "yyyy-MM-dd HH:mm") if r["due_at"] else None, left,
                       r["escalation_level"], r["assignee"],
                       format_datetime(r["acknowledged_at"], "yyyy-MM-dd HH:mm") if r["acknowledged_at"] else None])
        s.links.append(case_url(r["case_type"], r["case_id"]) if case_url else None)
    out.append(s)
    # 2. SLA performance over the period
    out.append(_stat_section("by_policy", _l("SLA performance per timer"), Column("timer", _l("Timer")),
                             data["by_policy"], lambda r: policy_label(r["policy_key"])))
    out.append(_stat_section("by_holder", _l("SLA performance per advisor (who held the case)"),
                             Column("holder", _l("Advisor")), data["by_holder"],
                             lambda r: r["holder_name"] or str(_l("unassigned"))))
    if group_wide:
        out.append(_stat_section("by_store", _l("SLA performance per store"), Column("store", _l("Store")),
                                 data["by_store"], lambda r: f"{r['store_code']} {r['store_name']}"))
    if f.includes("claim"):
        out.append(_stat_section("by_insurer", _l("Claim timers per insurer"), Column("insurer", _l("Insurer")),
                                 data["by_insurer"], lambda r: r["insurer_name"]))
    # 3. backlog
    s = Section("backlog", _l("Open cases by stage and age"), [
        Column("case_type", _l("Case type")), Column("stage", _l("Stage")),
        *[Column(k, AGE_LABELS[k], "int") for k, _d in q.AGE_BUCKETS], Column("total", _l("Total"), "int")])
    for r in data["backlog"]:
        wf = REGISTRY[r["case_type"]]
        s.rows.append([label(CASE_TYPE_LABELS, r["case_type"]), wf.state_label(r["state"]),
                       *[r["buckets"][k] for k, _d in q.AGE_BUCKETS], r["total"]])
    if s.rows:
        s.chart = _bar([f"{row[0]} · {row[1]}" for row in s.rows],
                       [(AGE_LABELS[k], [row[2 + i] for row in s.rows]) for i, (k, _d) in enumerate(q.AGE_BUCKETS)],
                       stacked=True, horizontal=True, unit=_l("cases"))
    out.append(s)
    # 4. escalations and pauses
    s = Section("escalations", _l("Escalations by level (steps fired in the period)"), [
        Column("level", _l("Level")), Column("count", _l("Fired"), "int"),
        Column("acknowledged", _l("Acknowledged since"), "int")])
    s.rows = [[label(LEVEL_LABELS, r["level"]), r["count"], r["acknowledged"]] for r in data["escalations"]]
    if s.rows:
        s.chart = _bar([row[0] for row in s.rows], [(_l("Fired"), [row[1] for row in s.rows])])
    out.append(s)
    s = Section("paused", _l("Paused time by reason (timers ended in the period)"), [
        Column("reason", _l("Reason")), Column("clocks", _l("Timers paused"), "int"),
        Column("hours", _l("Paused h"), "hours")])
    s.rows = [[label(PAUSE_LABELS, r["reason"]), r["clocks"], hours(r["seconds"])]
              for r in data["paused_by_reason"]]
    if s.rows:
        s.chart = _bar([row[0] for row in s.rows], [(_l("Paused h"), [row[2] for row in s.rows])], unit=_l("hours"))
    out.append(s)
    # 5. complaints
    if f.includes("complaint"):
        for key, title, labels_map, codes in (
                ("complaint_categories", _l("Complaints by category over time"), CATEGORY_LABELS,
                 list(CATEGORY_LABELS)),
                ("complaint_channels", _l("Complaints by channel over time"), CHANNEL_LABELS, list(CHANNEL_LABELS))):
            out.append(_pivot(key, title, data[key], labels_map, codes, data["granularity"]))
        co = data["complaint_outcomes"]
        s = Section("complaint_outcomes", _l("Complaints logged in the period: follow-up and reopens"), [
            Column("logged", _l("Logged"), "int"), Column("followed_up", _l("Followed up"), "int"),
            Column("reopened", _l("Reopened"), "int"), Column("reopen_rate", _l("Reopen rate %"), "pct"),
            Column("satisfied", _l("Satisfied at last follow-up"), "int"),
            Column("not_satisfied", _l("Not satisfied"), "int"),
            Column("satisfaction_rate", _l("Satisfaction %"), "pct")])
        s.rows = [[co["logged"], co["followed_up"], co["reopened"], pct(co["reopen_rate"]), co["satisfied"],
                   co["not_satisfied"], pct(co["satisfaction_rate"])]]
        out.append(s)
    if f.includes("work_order"):
        ws = data["work_order_satisfaction"]
        s = Section("work_order_satisfaction", _l("Work-order follow-up calls: satisfaction (1–5)"), [
            Column("score", _l("Score")), Column("count", _l("Callbacks"), "int")],
            note=_l("Average %(avg)s; satisfied (4–5) %(rate)s%%.", avg=cell_text(ws["average"]) or "—",
                    rate=cell_text(pct(ws["satisfied_rate"]), "pct") or "—"))
        s.rows = [[k, v] for k, v in ws["scores"].items()]
        if ws["callbacks"]:
            s.chart = _bar([row[0] for row in s.rows], [(_l("Callbacks"), [row[1] for row in s.rows])])
        out.append(s)
    # 6. claims money
    if f.includes("claim"):
        dw = data["documents_waiting"]
        s = Section("documents_waiting", _l("Claims waiting on documents, per insurer"), [
            Column("insurer", _l("Insurer")), Column("claims", _l("Claims"), "int"),
            Column("items", _l("Items not verified"), "int"), Column("oldest", _l("Longest wait (days)"), "days")])
        s.rows = [[r["insurer_name"], r["claims"], r["items"], r["oldest_days"]] for r in dw["by_insurer"]]
        if s.rows:
            s.chart = _bar([row[0] for row in s.rows], [(_l("Claims"), [row[1] for row in s.rows])])
        out.append(s)
        s = Section("documents_claims", _l("Longest-waiting claims in the documents stage"), [
            Column("number", _l("Claim")), Column("insurer", _l("Insurer")),
            Column("missing", _l("Items not verified"), "int"), Column("waiting", _l("Waiting (days)"), "days")])
        for r in dw["claims"]:
            s.rows.append([r["number"], r["insurer_name"], r["missing"], r["waiting_days"]])
            s.links.append(case_url("claim", r["claim_id"]) if case_url else None)
        out.append(s)
        p = data["payouts"]
        s = Section("payouts", _l("Payouts: claimed in the period vs received, outstanding now"), [
            Column("insurer", _l("Insurer")), Column("claims", _l("Claims submitted"), "int"),
            Column("expected", _l("Expected ¥"), "money"), Column("received", _l("Received ¥"), "money"),
            Column("outstanding", _l("Outstanding now ¥"), "money"),
            *[Column(k, PAYOUT_AGE_LABELS[k], "money") for k, _d in q.PAYOUT_BUCKETS]])
        for r in [*p["by_insurer"], {**p["totals"], "insurer_name": str(_l("All insurers"))}]:
            s.rows.append([r["insurer_name"], r["claims"], r["expected"], r["received"], r["outstanding"],
                           *[r["ageing"][k] for k, _d in q.PAYOUT_BUCKETS]])
        if p["by_insurer"]:
            body = s.rows[:-1]
            s.chart = _bar([row[0] for row in body], [(_l("Expected ¥"), [row[2] for row in body]),
                                                      (_l("Received ¥"), [row[3] for row in body]),
                                                      (_l("Outstanding now ¥"), [row[4] for row in body])])
        out.append(s)
        s = Section("payout_ageing", _l("Outstanding payouts by age since submission"), [
            Column("insurer", _l("Insurer")), *[Column(k, PAYOUT_AGE_LABELS[k], "money") for k, _d in q.PAYOUT_BUCKETS]])
        s.rows = [[r["insurer_name"], *[r["ageing"][k] for k, _d in q.PAYOUT_BUCKETS]] for r in p["by_insurer"]
                  if r["outstanding"] > 0]
        if s.rows:
            s.chart = _bar([row[0] for row in s.rows],
                           [(PAYOUT_AGE_LABELS[k], [row[1 + i] for row in s.rows])
                            for i, (k, _d) in enumerate(q.PAYOUT_BUCKETS)], stacked=True, unit="¥")
        out.append(s)
    return out


def _pivot(key, title, rows, labels_map, codes, grain) -> Section:
    periods = sorted({r["period"] for r in rows})
    seen = [c for c in codes if any(r["key"] == c for r in rows)] + \
        sorted({r["key"] for r in rows} - set(codes))
    counts = {(r["period"], r["key"]): r["count"] for r in rows}
    s = Section(key, title, [Column("period", _l("Month") if grain == "month" else _l("Week of")),
                             *[Column(c, label(labels_map, c), "int") for c in seen],
                             Column("total", _l("Total"), "int")])
    for period in periods:
        values = [counts.get((period, c), 0) for c in seen]
        s.rows.append([period, *values, sum(values)])
    if s.rows:
        s.chart = _bar(periods, [(label(labels_map, c), [row[1 + i] for row in s.rows]) for i, c in enumerate(seen)],
                       stacked=True, unit=_l("complaints"))
    return s


def by_key(sections: list[Section]) -> dict[str, Section]:
    return {s.key: s for s in sections}
