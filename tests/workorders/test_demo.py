"""The demo seeder creates backdated work orders across the states and leaves the clock alone."""
from __future__ import annotations

import sqlalchemy as sa

from claimdesk import demo
from claimdesk.core import clock
from claimdesk.extensions import db
from claimdesk.workorders.demo import seed_work_orders
from claimdesk.workorders.models import WorkOrder


def test_seed_demo_work_orders(app):
    assert seed_work_orders in demo.SEEDERS
    demo.seed(stores=1, customers=12, months=3, cases=24, seed_value=3, echo=lambda *_a: None)
    from claimdesk.complaints.models import Complaint

    # work orders opened by the complaints seeder (resolutions), the claims seeder (insurance repairs),
    # the warranty seeder (warranty repairs) and the reminders seeder (today's arrivals received from their
    # appointments) are not this seeder's
    from claimdesk.appointments.models import Appointment
    from claimdesk.warranty.models import WarrantyClaim

    opened_by_appointments = sa.select(Appointment.work_order_id).where(Appointment.work_order_id.is_not(None))
    opened_by_complaints = sa.select(Complaint.resolution_work_order_id).where(
        Complaint.resolution_work_order_id.is_not(None))
    warranty_repairs = sa.select(WarrantyClaim.work_order_id)
    from claimdesk.customers.models import Vehicle
    from claimdesk.sanbao.demo import DEMO_VIN

    # nor are the visits of the 三包 seeder's car near its limit
    sanbao_car = sa.select(Vehicle.id).where(Vehicle.vin == DEMO_VIN)
    states = dict(db.session.execute(sa.select(WorkOrder.state, sa.func.count())
                                     .where(WorkOrder.id.not_in(opened_by_complaints),
                                            WorkOrder.id.not_in(opened_by_appointments),
                                            WorkOrder.id.not_in(warranty_repairs),
                                            WorkOrder.vehicle_id.not_in(sanbao_car),
                                            WorkOrder.pay_type.not_in(("insurance", "internal")),
                                            WorkOrder.customer_description != "首保 First free service")
                                     .group_by(WorkOrder.state)).all())
    assert sum(states.values()) == 24
    assert states.get("closed", 0) > 5 and len(states) >= 4
    oldest = db.session.scalar(sa.select(sa.func.min(WorkOrder.created_at)))
    assert (clock.now() - clock.utc(oldest)).days > 20
    assert clock._frozen is None
    closed = db.session.scalars(sa.select(WorkOrder).where(WorkOrder.state == "closed")).first()
    assert closed.satisfaction and closed.delivered_at and closed.paid_amount is not None
    # the floor has a delay agreed with the customer (revise_promise)
    delayed = [w for w in db.session.scalars(sa.select(WorkOrder)) if w.promise_revisions]
    assert delayed and all(w.promised_at == w.promise_history[-1]["to"] for w in delayed)
    # a new car's first free service (首保), paid by the manufacturer by the store's brand rule
    from claimdesk.auth.models import Store
    from claimdesk.customers.models import Vehicle

    store = db.session.scalar(sa.select(Store).where(Store.code == "S01"))
    assert store.settings["first_service_rules"][0]["brand"] == "Volkswagen"
    used = db.session.scalars(sa.select(Vehicle).where(Vehicle.first_service_work_order_id.is_not(None))).all()
    assert len(used) == 1
    first = db.session.get(WorkOrder, used[0].first_service_work_order_id)
    assert first.state == "ready" and any(ln.free_service for ln in first.lines)
    assert first.settlement.manufacturer > 0 and sum(first.settlement.shares.values()) == first.settlement.total
