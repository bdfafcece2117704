"""Numbers without gaps or duplicates when many transactions create cases at once (PostgreSQL)."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from claimdesk.core.models import CaseCounter
from claimdesk.extensions import db


@pytest.mark.postgres
def test_concurrent_numbering_is_unique_and_gapless(app, committed_db, store):
    from claimdesk.core import numbering, uow

    uow.commit()
    store_id = store.id  # read once here: the threads must not touch the test's session
    engine = db.engine
    results, errors = [], []
    barrier = threading.Barrier(8)

    def worker(rollback: bool):
        with app.app_context():
            session = Session(engine)
            try:
                db.session.registry.set(session)
                barrier.wait()
                for _ in range(5):
                    number = numbering.next_number(store_id, "WO", 2026)
                    if rollback:
                        session.rollback()
                    else:
                        session.commit()
                        results.append(number)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                session.close()
                db.session.registry.clear()

    threads = [threading.Thread(target=worker, args=(i == 0,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(results) == len(set(results)) == 35
    values = sorted(int(n.rsplit("-", 1)[1]) for n in results)
    assert values == list(range(1, 36))  # the rolled-back ones gave their numbers back
    assert db.session.scalar(sa.select(CaseCounter.last_value)) == 35


@pytest.mark.postgres
def test_concurrent_creations_take_their_numbers_last_without_gaps(app, committed_db, store, clerk):
    """Complaints created at once by several transactions (numbers taken as their last write, see
    core.numbering.assign): unique, gap-free, rolled-back creations give their numbers back."""
    from claimdesk.auth.models import User
    from claimdesk.complaints.models import Complaint
    from claimdesk.complaints.services import open_complaint
    from claimdesk.core import uow
    from tests.factories import CustomerFactory

    customer_id = CustomerFactory(store=store).id
    clerk_id = clerk.id
    uow.commit()
    engine = db.engine
    results, errors = [], []
    barrier = threading.Barrier(6)

    def worker(rollback: bool):
        with app.app_context():
            session = Session(engine)
            try:
                db.session.registry.set(session)
                actor = session.get(User, clerk_id)
                barrier.wait()
                for _ in range(5):
                    case = open_complaint(actor, {"customer_id": customer_id, "channel": "phone",
                                                  "category": "waiting_time", "description": "Waited"})
                    if rollback:
                        session.rollback()
                    else:
                        session.commit()
                        results.append(case.number)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                session.close()
                db.session.registry.clear()

    threads = [threading.Thread(target=worker, args=(i == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert len(results) == len(set(results)) == 25
    values = sorted(int(n.rsplit("-", 1)[1]) for n in results)
    assert values == list(range(1, 26))
    stored = db.session.scalars(sa.select(Complaint.number)).all()
    assert sorted(stored) == sorted(results) and not any(n.startswith("~") for n in stored)
