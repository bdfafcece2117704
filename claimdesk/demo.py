"""Demo data: stores, a user per role, customers and vehicles; case modules add their own cases."""
from __future__ import annotations

import random
from typing import Callable

import click
import sqlalchemy as sa

from .auth import services as auth_services
from .auth.models import Store
from .core import uow
from .customers.models import Customer, Vehicle
from .customers.validators import vin_check_digit
from .extensions import db

PASSWORD = "demo-pass-1"
#: functions(store, users: dict[role, User], customers, rng, months, cases, echo) run after the base data
SEEDERS: list[Callable] = []

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "勇", "艳", "杰", "军", "涛", "明", "超", "霞", "平", "刚", "桂英", "建华"]
MODELS = [("Volkswagen", "Lavida"), ("Volkswagen", "Tiguan L"), ("Toyota", "Camry"), ("Toyota", "RAV4"),
          ("Honda", "Accord"), ("BYD", "Han EV"), ("Buick", "GL8"), ("Nissan", "Sylphy"), ("BMW", "325Li"),
          ("Audi", "A6L")]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def demo_vin(rng: random.Random) -> str:
    body = "LSV" + "".join(rng.choice(VIN_CHARS) for _ in range(5)) + "0" + "R" + rng.choice("ABC") + \
        "".join(rng.choice("0123456789") for _ in range(6))
    return body[:8] + vin_check_digit(body) + body[9:]


def demo_plate(rng: random.Random, city: str) -> str:
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    if rng.random() < 0.15:
        return f"{city}{rng.choice('ABC')}D{rng.randint(10000, 99999)}"
    return f"{city}{rng.choice('ABCDE')}{rng.choice(letters)}{rng.randint(1000, 9999)}"


def demo_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}"


STORES = [("S01", "Guangzhou Tianhe 4S", "粤"), ("S02", "Shenzhen Futian 4S", "粤"), ("S03", "Beijing Chaoyang 4S", "京")]
ROLE_USERS = [("cr", "customer_relations", "Zhou Li 周丽"), ("advisor", "advisor", "Chen Wei 陈伟"),
              ("advisorb", "advisor", "Lin Na 林娜"), ("frontdesk", "front_desk_supervisor", "Zheng Hong 郑红"),
              ("workshop", "workshop", "Wang Qiang 王强"),
              ("teamlead", "workshop", "Zhao Gang 赵刚"), ("qc", "qc_inspector", "Sun Hui 孙慧"),
              ("info", "info_clerk", "Xu Ping 徐萍"),
              ("manager", "manager", "Liu Jun 刘军"), ("storemgr", "manager", "Huang Min 黄敏"),
              ("admin", "admin", "Sys Admin")]


def seed(*, stores: int, customers: int, months: int, cases: int, seed_value: int, echo=print):
    rng = random.Random(seed_value)
    logins = []
    existing = db.session.scalar(sa.select(Store).where(Store.code == "S01"))
    if existing is not None:
        echo("Demo data is already there (store S01 exists); nothing added.")
        return _logins(stores)
    for index, (code, name, province) in enumerate(STORES[:max(1, min(stores, len(STORES)))]):
        store = auth_services.create_store(code, name)
        users = {}
        for suffix, role, full in ROLE_USERS:
            username = f"{suffix}{index + 1}" if index else suffix
            user = auth_services.create_user(username, PASSWORD, role, store, full_name=full,
                                             is_store_manager=(suffix == "storemgr"),
                                             team=("Team A" if role == "workshop" else None))
            users.setdefault(role, user)
            users[suffix] = user
            logins.append((username, role + (" (store manager)" if suffix == "storemgr" else ""), code))
        if index == 0:
            group = auth_services.create_user("groupmgr", PASSWORD, "manager", store, group=True,
                                              full_name="Group After-sales 集团售后")
            users["groupmgr"] = group
            logins.append(("groupmgr", "manager (group)", code))
        made = []
        with click.progressbar(range(customers), label=f"{code}: customers and vehicles") as bar:
            for _ in bar:
                c = Customer(store_id=store.id, name=rng.choice(SURNAMES) + rng.choice(GIVEN),
                             phone=demo_phone(rng), preferred_contact_time=rng.choice(
                                 [None, "weekdays after 18:00", "weekend mornings", "any time"]))
                db.session.add(c)
                db.session.flush()
                for _v in range(1 if rng.random() < 0.85 else 2):
                    make, model = rng.choice(MODELS)
                    km = rng.randint(3000, 160000)
                    db.session.add(Vehicle(store_id=store.id, customer_id=c.id, vin=demo_vin(rng),
                                           plate=demo_plate(rng, province), make=make, model=model,
                                           year=rng.randint(2015, 2026), mileage_km=km,
                                           maintenance_interval_km=10000, next_service_km=km + 10000))
                made.append(c)
        db.session.flush()
        for seeder in SEEDERS:
            seeder(store=store, users=users, customers=made, rng=rng, months=months, cases=cases, echo=echo)
        uow.commit()
    return logins


def _logins(stores: int):
    out = []
    for index, (code, _n, _p) in enumerate(STORES[:max(1, min(stores, len(STORES)))]):
        for suffix, role, _full in ROLE_USERS:
            out.append((f"{suffix}{index + 1}" if index else suffix, role, code))
    out.append(("groupmgr", "manager (group)", "S01"))
    return out
