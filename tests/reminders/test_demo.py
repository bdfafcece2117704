"""The demo: due reminders (some with outcomes), today's appointments (some arrived, one no-show), a campaign."""
from __future__ import annotations

import random

import sqlalchemy as sa

from claimdesk import demo
from claimdesk.appointments.models import Appointment
from claimdesk.core import clock
from claimdesk.extensions import db
from claimdesk.reminders.demo import seed_reminders
from claimdesk.reminders.models import Campaign, CampaignContact, ServiceReminder
from tests.factories import CustomerFactory, VehicleFactory


def test_seeder_is_registered(app):
    assert seed_reminders in demo.SEEDERS


def test_seeder_makes_the_advisors_day(store, make_user):
    users = {"advisor": make_user("advisor"), "manager": make_user("manager")}
    customers = [CustomerFactory(store=store) for _ in range(16)]
    for c in customers:
        VehicleFactory(customer=c, model="Lavida")
    db.session.flush()
    for c in customers:
        db.session.refresh(c)
    lines = []
    seed_reminders(store=store, users=users, customers=customers, rng=random.Random(5), echo=lines.append)
    assert clock._frozen is None
    reminders = list(db.session.scalars(sa.select(ServiceReminder)))
    assert len(reminders) >= 4 and {"declined", "unreachable", "booked"} <= {r.state for r in reminders}
    appts = list(db.session.scalars(sa.select(Appointment)))
    states = [a.state for a in appts]
    assert states.count("arrived") == 2 and states.count("no_show") == 1 and "booked" in states
    assert all(a.work_order_id for a in appts if a.state == "arrived")
    campaign = db.session.scalar(sa.select(Campaign))
    assert campaign.kind == "recall" and len(campaign.contacts) == 16
    assert {c.state for c in db.session.scalars(sa.select(CampaignContact))} == {"open", "booked", "declined",
                                                                                 "unreachable"}
    assert lines and lines[0].startswith(store.code)
