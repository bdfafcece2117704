"""The demo seeder: complaints over months, every channel and category, several states."""
from __future__ import annotations

import random

import sqlalchemy as sa

from claimdesk import demo
from claimdesk.complaints.demo import seed_complaints
from claimdesk.complaints.models import CATEGORIES, CHANNELS, Complaint
from claimdesk.core import clock
from claimdesk.extensions import db
from tests.factories import CustomerFactory, VehicleFactory


def test_seeder_is_registered(app):
    assert seed_complaints in demo.SEEDERS


def test_seeder_spreads_complaints(store, make_user):
    users = {"cr": make_user("customer_relations"), "advisor": make_user("advisor"),
             "manager": make_user("manager"), "storemgr": make_user("manager", is_store_manager=True)}
    customers = [CustomerFactory(store=store) for _ in range(8)]
    for c in customers:
        VehicleFactory(customer=c)
    db.session.flush()
    lines = []
    seed_complaints(store=store, users=users, customers=customers, rng=random.Random(3), months=6, cases=40,
                    echo=lines.append)
    assert clock._frozen is None  # time is real again afterwards
    rows = list(db.session.scalars(sa.select(Complaint)))
    assert len(rows) == 40 and lines == [f"{store.code}: 40 complaints"]
    assert {r.channel for r in rows} == set(CHANNELS)
    assert {r.category for r in rows} == set(CATEGORIES)
    assert {r.state for r in rows} >= {"closed", "resolve", "follow_up"}
    months = {(r.created_at.year, r.created_at.month) for r in rows}
    assert len(months) >= 5
    assert all(r.created_at <= clock.now() for r in rows)
    closed = [r for r in rows if r.state == "closed"]
    assert all(r.attribution and r.resolution for r in closed)
