"""Demo complaints: spread over the months, every channel, category and state, some reopened,
escalated, paused, or resolved with a rework work order. Backdated with core.clock.set_now."""
from __future__ import annotations

from datetime import timedelta

from ..core import clock
from ..core.errors import DomainError
from ..extensions import db
from .models import CATEGORIES, CHANNELS
from .workflow import WF

WORDS = {
    "repair_quality": ["保养后发动机异响更明显了，来回跑了两次还没修好。", "刹车片换完还是有尖叫声。",
                       "空调维修后不到一周又不制冷了。"],
    "service_attitude": ["前台服务顾问态度冷淡，问了三遍才有人理。", "电话预约时客服说话不耐烦。"],
    "waiting_time": ["说好两小时完工，结果等了五个小时。", "预约了还要排队一个多小时。"],
    "price": ["结算金额比估价高了八百元，事先没人通知我。", "同样的保养项目比上次贵了很多。"],
    "parts": ["配件缺货，已经等了三周还没到。", "更换的配件不是原厂件。"],
    "sales": ["购车时承诺的免费保养次数和现在说的不一致。"],
    "other": ["车内物品在维修期间丢失。", "洗车后车身有划痕。"],
}
ACCOUNTS = ["客户详细描述了问题出现的时间和情况，情绪较激动，希望尽快解决。",
            "客户表示对门店一直很信任，这次的经历让他很失望。",
            "客户出示了上次的结算单，认为收费不合理。"]
RESOLUTIONS = {
    "our_fault": ("重新安排返修，费用由门店承担，并赠送一次免费保养。", "装配时未按规范操作。"),
    "not_our_fault": ("耐心解释原因，提供免费检测，客户同意后再维修。", "属于正常磨损，非维修质量问题。"),
    "misunderstanding": ("向客户详细解释了收费明细和保修条款。", "接车时未解释清楚。"),
}
CHANNEL_WEIGHTS = {"on_site": 5, "phone": 6, "callback": 5, "letter": 1, "manufacturer": 2, "regulator": 1,
                   "online": 3}
CATEGORY_WEIGHTS = {"repair_quality": 6, "service_attitude": 3, "waiting_time": 4, "price": 4, "parts": 3,
                    "sales": 1, "other": 1}


def _pick(rng, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def seed_complaints(*, store, users, customers, rng, months, cases, echo=print, **_kw):
    from . import services

    if not customers:
        return
    real_now = clock.now()
    clerk = users.get("cr") or users.get("customer_relations")
    advisor = users.get("advisor")
    manager = users.get("manager")
    made = 0
    try:
        for index in range(cases):
            start = real_now - timedelta(days=rng.uniform(0.05, max(1, months) * 30))
            clock.set_now(start)
            customer = rng.choice(customers)
            vehicle = rng.choice(customer.vehicles) if customer.vehicles else None
            # every channel and category at least once, then by weight
            channel = CHANNELS[index] if index < len(CHANNELS) else _pick(rng, CHANNEL_WEIGHTS)
            category = CATEGORIES[index] if index < len(CATEGORIES) else _pick(rng, CATEGORY_WEIGHTS)
            data = {"customer_id": customer.id, "vehicle_id": vehicle.id if vehicle else None, "channel": channel,
                    "category": category, "description": rng.choice(WORDS[category]),
                    "assignee_id": rng.choice([clerk, clerk, advisor]).id}
            if channel in ("manufacturer", "regulator"):
                data["deadline_at"] = start + timedelta(days=rng.choice([3, 5, 7]))
                data["external_reference"] = f"{'HL' if channel == 'manufacturer' else '12315'}-{rng.randint(10000, 99999)}"
            elif rng.random() < 0.15:
                data["severity"] = rng.choice(["low", "critical"])
            complaint = services.open_complaint(clerk, data)
            _progress(complaint, rng, real_now, clerk, advisor, manager)
            made += 1
    finally:
        clock.set_now(None)
    echo(f"{store.code}: {made} complaints")


RECENT_STOPS = {"listen": 25, "apologise": 15, "resolve": 25, "follow_up": 20, "closed": 15}
OLD_STOPS = {"listen": 3, "apologise": 2, "resolve": 5, "follow_up": 5, "closed": 85}
ORDER = ("listen", "apologise", "resolve", "follow_up", "closed")


def _progress(c, rng, real_now, clerk, advisor, manager):
    """Run the complaint forward as far as its age allows, with some reopens, escalations and pauses;
    recent complaints mostly stay open, a few old ones are still open (overdue)."""
    at = clock.now()
    recent = real_now - at < timedelta(days=14)
    stop = _pick(rng, RECENT_STOPS if recent else OLD_STOPS)
    _run(c, rng, real_now, clerk, advisor, manager, stop)
    if c.state != "closed" and not c.is_paused and rng.random() < 0.25:
        clock.set_now(min(real_now - timedelta(minutes=5), clock.now() + timedelta(hours=rng.uniform(1, 6))))
        WF.perform(c, "pause", {"reason": rng.choice(["waiting_customer", "waiting_manufacturer"])}, clerk)


def _run(c, rng, real_now, clerk, advisor, manager, stop):
    at = clock.now()
    scale = 0.3 if real_now - at < timedelta(days=14) else 1.0

    def step(after_hours: float, action: str, data: dict, user, *, system: bool = False) -> bool:
        nonlocal at
        if ORDER.index(c.state) >= ORDER.index(stop) and action not in ("escalate", "pause", "resume"):
            return False
        nxt = at + timedelta(hours=after_hours * scale)
        if nxt >= real_now:
            return False
        clock.set_now(nxt)
        at = nxt
        try:
            with db.session.begin_nested():  # a refused step leaves nothing half-written
                WF.perform(c, action, data, user, system=system)
        except DomainError:
            return False
        return True

    if rng.random() < 0.1 and not step(rng.uniform(0.2, 2), "pause", {"reason": "waiting_customer"}, clerk):
        return
    if c.is_paused and not step(rng.uniform(2, 30), "resume", {}, clerk):
        return
    if not step(rng.uniform(0.3, 5), "listen", {"account": rng.choice(ACCOUNTS), "met_where": "洽谈室"},
                rng.choice([advisor, clerk])):
        return
    if c.severity in ("high", "critical") and rng.random() < 0.5 and manager is not None:
        step(rng.uniform(0.1, 1), "escalate", {"reason": "严重投诉，需经理处理"}, advisor)
    if not step(rng.uniform(0.2, 20), "apologise", {"note": "感谢客户反馈，代表门店诚恳致歉。"}, advisor):
        return
    for attempt in range(3):
        attribution = rng.choice(["our_fault", "our_fault", "not_our_fault", "misunderstanding"])
        resolution, cause = RESOLUTIONS[attribution]
        data = {"attribution": attribution, "resolution": resolution, "root_cause": cause,
                "cost_to_store": str(rng.choice([0, 120, 380, 860])) if attribution == "our_fault" else "0",
                "labour_waived": str(rng.choice([0, 0, 150, 300])), "customer_accepted": rng.random() < 0.85,
                "create_work_order": attribution != "misunderstanding" and c.vehicle_id is not None
                and rng.random() < 0.4}
        if attribution == "our_fault" and rng.random() < 0.3:
            data["compensation"] = str(rng.choice([200, 500]))
        if not step(rng.uniform(4, 70), "resolve", data, advisor):
            return
        satisfied = rng.random() < (0.8 if attempt else 0.75)
        if not step(rng.uniform(20, 70), "follow_up", {"satisfied": satisfied,
                                                       "note": "客户表示满意。" if satisfied else "客户仍不满意。"},
                    clerk):
            return
        if satisfied:
            return
