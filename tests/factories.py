"""factory-boy factories bound to the test session (commit = release the test's SAVEPOINT)."""
from __future__ import annotations

import random

import factory
from factory.alchemy import SQLAlchemyModelFactory

from claimdesk.auth.models import Store, User
from claimdesk.customers.models import Customer, Vehicle
from claimdesk.demo import demo_vin
from claimdesk.extensions import db

_rng = random.Random(42)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class StoreFactory(Base):
    class Meta:
        model = Store

    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.Sequence(lambda n: f"Store {n}")
    timezone = "Asia/Shanghai"
    settings = factory.LazyFunction(dict)


class UserFactory(Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.LazyAttribute(lambda o: o.username.title())
    role = "advisor"
    store = factory.SubFactory(StoreFactory)
    is_group = False
    active = True
    password_hash = factory.LazyFunction(lambda: _HASH)


class CustomerFactory(Base):
    class Meta:
        model = Customer

    store_id = factory.LazyAttribute(lambda o: o.store.id if o.store else StoreFactory().id)
    name = factory.Sequence(lambda n: f"Customer {n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")

    class Params:
        store = None


class VehicleFactory(Base):
    class Meta:
        model = Vehicle

    customer = factory.SubFactory(CustomerFactory)
    store_id = factory.SelfAttribute("customer.store_id")
    vin = factory.LazyFunction(lambda: demo_vin(_rng))
    plate = factory.Sequence(lambda n: f"粤B{10000 + n}")
    make = "Volkswagen"
    model = "Lavida"
    mileage_km = 20000


def _make_hash():
    from werkzeug.security import generate_password_hash

    # cheap parameters: tests create many users
    return generate_password_hash("secret-pass-1", method="pbkdf2:sha256:1000")


_HASH = _make_hash()


def check_signer(store, stage: str, technician=None):
    """Who signs a quality check in tests: the technician the self-check, a team leader the second, the
    store's QC inspector the final one (one person signs one check: workorders/checks.py)."""
    import sqlalchemy as sa

    from claimdesk.extensions import db

    if stage == "self" and technician is not None:
        return technician
    role, username = {"self": ("workshop", f"tech_{store.id}"), "team_lead": ("workshop", f"lead_{store.id}"),
                      "final": ("qc_inspector", f"qc_{store.id}")}[stage]
    user = db.session.scalars(sa.select(User).where(User.username == username)).first()
    return user or UserFactory(role=role, username=username, full_name=username.title(), store=store)
