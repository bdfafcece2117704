"""A committed demo data set for the API fuzzer: two stores, every role, cases in many states, uploads.

Seeded once per module (really committed, so the WSGI requests see it) and truncated afterwards; each
fuzzed operation still runs inside the usual rolled-back transaction, so every operation starts from the
same data however many actions the previous one performed.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa


@dataclass
class FuzzData:
    token: str
    other_store_id: int
    own_store_id: int
    #: path parameter name (or "<case path>:case_id") -> ids in the caller's own store
    ids: dict[str, list] = field(default_factory=dict)
    #: ids that exist but belong to the other store (must answer 404)
    foreign: dict[str, list] = field(default_factory=dict)


def _ids(model, store_id, limit=12, where=None):
    from claimdesk.extensions import db

    stmt = sa.select(model.id).where(model.store_id == store_id).order_by(model.id).limit(limit)
    if where is not None:
        stmt = stmt.where(where)
    return list(db.session.scalars(stmt))


def _call_lists(store) -> None:
    """A store's reminders and a recall (the demo makes them only for larger stores than the fuzzer's)."""
    from datetime import timedelta

    from claimdesk.appointments import services as diary
    from claimdesk.auth.models import User
    from claimdesk.customers.models import Vehicle
    from claimdesk.extensions import db
    from claimdesk.reminders import campaigns, services

    vehicles = list(db.session.scalars(sa.select(Vehicle).where(Vehicle.store_id == store.id).order_by(Vehicle.id)))
    today = diary.local_today(store)
    for n, vehicle in enumerate(vehicles):
        vehicle.next_service_date = today + timedelta(days=n % 5)
    db.session.flush()
    services.create_reminders(store)
    manager = db.session.scalar(sa.select(User).where(User.store_id == store.id, User.role == "manager")
                                .order_by(User.id))
    campaigns.create_campaign(manager, {"kind": "recall", "title": "Fuzz recall", "model_filter": vehicles[0].model,
                                        "vins": [v.vin for v in vehicles[:3]], "starts_on": today,
                                        "ends_on": today + timedelta(days=30)})


def seed_fuzz_data(app) -> FuzzData:
    from werkzeug.datastructures import FileStorage

    from claimdesk import demo
    from claimdesk.auth import services as auth_services
    from claimdesk.auth.models import Store, User
    from claimdesk.claims.models import Claim, Insurer
    from claimdesk.complaints.models import Complaint
    from claimdesk.core import uow
    from claimdesk.customers.models import Customer, Vehicle
    from claimdesk.documents import services as documents
    from claimdesk.documents.models import Document
    from claimdesk.extensions import db
    from claimdesk.notifications.models import Notification
    from claimdesk.reminders.models import Campaign, CampaignContact, ServiceReminder
    from claimdesk.workorders.models import WorkOrder
    from tests.claims.factories import PDF, PNG

    with app.app_context():
        demo.seed(stores=2, customers=5, months=1, cases=8, seed_value=11, echo=lambda *a, **k: None)
        own = db.session.scalar(sa.select(Store).where(Store.code == "S01"))
        other = db.session.scalar(sa.select(Store).where(Store.code == "S02"))
        manager = db.session.scalar(sa.select(User).where(User.username == "manager"))
        for store in (own, other):
            claim = db.session.scalar(sa.select(Claim).where(Claim.store_id == store.id).order_by(Claim.id))
            for kind, data, name in (("policy", PDF, "policy.pdf"), ("owner_id", PNG, "id.png")):
                documents.save_upload(manager, claim, kind, FileStorage(io.BytesIO(data), filename=name))
        for store in (own, other):
            _call_lists(store)
        token, _row = auth_services.issue_token(manager)
        uow.commit()

        def both(key, model, **kw):
            data.ids[key] = _ids(model, own.id, **kw)
            data.foreign[key] = _ids(model, other.id, **kw)

        data = FuzzData(token=token, own_store_id=own.id, other_store_id=other.id)
        both("customer_id", Customer)
        both("vehicle_id", Vehicle)
        both("work-orders:case_id", WorkOrder, limit=20)
        both("complaints:case_id", Complaint, limit=20)
        both("complaint_id", Complaint)
        both("claims:case_id", Claim, limit=20)
        both("claim_id", Claim)
        both("document_id", Document)
        data.ids["insurer_id"] = list(db.session.scalars(sa.select(Insurer.id).order_by(Insurer.id)))
        data.ids["notification_id"] = list(db.session.scalars(
            sa.select(Notification.id).where(Notification.user_id == manager.id).order_by(Notification.id)
            .limit(10)))
        data.foreign["notification_id"] = list(db.session.scalars(
            sa.select(Notification.id).where(Notification.user_id != manager.id).order_by(Notification.id)
            .limit(5)))
        data.ids["assignee_id"] = list(db.session.scalars(
            sa.select(User.id).where(User.store_id == own.id).order_by(User.id)))
        data.foreign["assignee_id"] = list(db.session.scalars(
            sa.select(User.id).where(User.store_id == other.id).order_by(User.id)))
        data.ids["work_order_id"] = data.ids["work-orders:case_id"]
        data.foreign["work_order_id"] = data.foreign["work-orders:case_id"]
        data.ids["store_id"] = [own.id]
        data.foreign["store_id"] = [other.id]
        from claimdesk.sla.policies import DEFAULTS

        data.ids["key"] = sorted(DEFAULTS)
        both("reminder_id", ServiceReminder)
        both("campaign_id", Campaign)
        for key, store in (("ids", own), ("foreign", other)):
            getattr(data, key)["contact_id"] = list(db.session.scalars(
                sa.select(CampaignContact.id).join(Campaign).where(Campaign.store_id == store.id)
                .order_by(CampaignContact.id).limit(12)))
        return data


@pytest.fixture(scope="module")
def fuzz_data(app):
    from tests.conftest import truncate_all

    try:
        yield seed_fuzz_data(app)
    finally:
        truncate_all(app)
