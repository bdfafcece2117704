"""The transaction boundary: a request or job commits only when it succeeded, and a refusal — an HTML
form answered 422, a form action sent back with a flash message, an API action answered 409/422, a
job that fails — leaves the database and the queues exactly as they were; the unit of work's
after-commit effects never run on a rollback and its on_rollback hooks always do."""
from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Response, redirect

from claimdesk import jobs
from claimdesk.auth.models import Store, User
from claimdesk.complaints import services as complaint_services
from claimdesk.core import uow
from claimdesk.core.clock import now
from claimdesk.core.errors import Conflict, ValidationFailed, register_error_handlers
from claimdesk.core.http import ClaimdeskFlask
from claimdesk.core.web import refuse
from claimdesk.customers.models import Vehicle
from claimdesk.extensions import db
from claimdesk.sla import scheduling
from claimdesk.sla.scheduling import fire_job_id
from claimdesk.sla.models import SlaClock
from claimdesk.workorders.models import WorkOrderLine
from claimdesk.workorders.services import open_work_order
from claimdesk.workorders.workflow import WF as WORK_ORDER
from tests.factories import CustomerFactory, VehicleFactory
from tests.workorders.conftest import LABOUR, PART


# --- what "exactly as before" means ----------------------------------------------------------------
def stored_rows() -> dict[str, list[str]]:
    """Every row of every table as stored (read past the session's identity map)."""
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name.startswith("test_"):  # engine tests' tables exist only inside those tests
            continue
        rows[table.name] = sorted(repr(tuple(r)) for r in db.session.execute(sa.select(table)))
    return rows


def queued_jobs() -> dict[str, tuple]:
    """Every job waiting on every queue: queued, scheduled, deferred."""
    return {q.name: (sorted(q.get_job_ids()), sorted(q.scheduled_job_registry.get_job_ids()),
                     sorted(q.deferred_job_registry.get_job_ids()))
            for q in jobs.all_queues()}


def world() -> tuple:
    return stored_rows(), queued_jobs()


def noop(tag: str) -> str:
    """A job; only ever queued, never run, by these tests."""
    return tag


def regulator_complaint(actor, customer_id: int):
    """A complaint whose resolution clock is due within the hour: its SLA fire job is scheduled after
    the commit (sla.scheduling keeps it in the session until then)."""
    return complaint_services.open_complaint(actor, {
        "customer_id": customer_id, "channel": "regulator", "category": "waiting_time",
        "description": "Waited two hours.", "deadline_at": now() + timedelta(minutes=40)})


def scheduled_sla_jobs() -> set[str]:
    return set(jobs.get_queue("sla").scheduled_job_registry.get_job_ids())


# --- the real pages and the real API ---------------------------------------------------------------
def test_refused_vehicle_form_changes_nothing(advisor, login, client):
    """The issue's repro: a new owner together with a VIN that is taken answers 'VIN already in the
    archive' (422) — and the owner change must not be committed with it."""
    owner = CustomerFactory(store=advisor.store)
    new_owner = CustomerFactory(store=advisor.store)
    car = VehicleFactory(customer=owner)
    taken = VehicleFactory(customer=new_owner)
    uow.commit()
    login(advisor)
    before = world()

    r = client.post(f"/customers/vehicles/{car.id}/edit", data={
        "customer_id": str(new_owner.id), "vin": taken.vin, "plate": car.plate, "model": car.model,
        "mileage_km": str(car.mileage_km)})

    assert r.status_code == 422
    assert "A vehicle with this VIN exists already." in r.get_data(as_text=True)
    # the form shows what the user typed, and the page's owner is the stored one
    assert taken.vin in r.get_data(as_text=True)
    assert world() == before
    stored = db.session.execute(sa.select(Vehicle.__table__.c.customer_id)
                                .where(Vehicle.__table__.c.id == car.id)).scalar_one()
    assert stored == owner.id


def test_accepted_vehicle_form_commits(advisor, login, client):
    """The other side of the rule: the redirect after a successful POST (302) commits."""
    owner, new_owner = CustomerFactory(store=advisor.store), CustomerFactory(store=advisor.store)
    car = VehicleFactory(customer=owner)
    uow.commit()
    login(advisor)
    r = client.post(f"/customers/vehicles/{car.id}/edit", data={"customer_id": str(new_owner.id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Vehicle, car.id).customer_id == new_owner.id


def _estimated_work_order(advisor):
    vehicle = VehicleFactory(customer__store=advisor.store)
    wo = open_work_order(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                   "mileage_km": 21000, "customer_description": "Squeak when braking"})
    uow.commit()
    WORK_ORDER.perform(wo, "estimate", {"lines": [LABOUR, PART]}, advisor)
    uow.commit()
    return wo


def _proposed(wo_id: int) -> list[str]:
    t = WorkOrderLine.__table__
    return list(db.session.scalars(sa.select(t.c.decision).where(t.c.work_order_id == wo_id)))


def test_refused_api_action_changes_nothing(advisor, api_as):
    """authorise marks every line declined, then its gate refuses (409): the lines it had already
    changed and flushed must not land, nor anything the action queued."""
    wo = _estimated_work_order(advisor)
    api = api_as(advisor)
    before = world()

    r = api.action("work-orders", wo.id, "authorise", signed_by="Mr Wang",
                   promised_at=(now() + timedelta(hours=6)).isoformat(),
                   decisions=[{"line_id": ln.id, "approved": False} for ln in wo.lines])

    assert r.status_code == 409 and r.json["error"]["gate"] == "line_approved"
    assert world() == before
    assert _proposed(wo.id) == ["proposed", "proposed"]

    r = api.action("work-orders", wo.id, "authorise", signed_by="Mr Wang", promised_at="yesterday")
    assert r.status_code == 422
    assert world() == before


def test_refused_form_action_goes_back_and_changes_nothing(advisor, login, client):
    """A refused action from the work-order page answers a redirect (302, < 400) with a flash message:
    the boundary rolls it back all the same."""
    wo = _estimated_work_order(advisor)
    login(advisor)
    before = world()
    promised = (now() + timedelta(days=1)).astimezone(ZoneInfo(advisor.store.timezone))
    form = {"signed_by": "Mr Wang", "promised_at": promised.strftime("%Y-%m-%dT%H:%M")}
    form.update({f"decision-{ln.id}": "declined" for ln in wo.lines})

    r = client.post(f"/work-orders/{wo.id}/act/authorise", data=form)

    assert r.status_code == 302
    with client.session_transaction() as session:
        assert any("approved no line" in message for _cat, message in session["_flashes"])
    assert world() == before
    assert _proposed(wo.id) == ["proposed", "proposed"]


# --- jobs ----------------------------------------------------------------------------------------------
def open_then_fail(actor_id: int, customer_id: int) -> None:
    """A job that writes (a complaint, its clocks, their schedule), queues a job, and then fails."""
    regulator_complaint(db.session.get(User, actor_id), customer_id)
    jobs.enqueue(noop, "from-a-failed-job", job_id="from-a-failed-job")
    raise RuntimeError("the job failed after writing")


def open_and_succeed(actor_id: int, customer_id: int) -> int:
    return regulator_complaint(db.session.get(User, actor_id), customer_id).id


def test_failing_job_changes_nothing_and_the_next_job_schedules_its_clocks(clerk):
    customer = CustomerFactory(store=clerk.store)
    uow.commit()
    before = world()

    failing = jobs.AppJob.create(open_then_fail, args=(clerk.id, customer.id), connection=jobs.connection())
    with pytest.raises(RuntimeError):
        failing.perform()

    assert world() == before
    assert uow.pending_effects() == 0
    assert scheduling._SCHEDULE_KEY not in db.session.info  # the SLA engine's pending schedule is gone too

    # The next unit of work on the same session schedules its own clocks: a schedule left behind by
    # the failed job would have swallowed them (its after-commit flush went with the rollback).
    ok = jobs.AppJob.create(open_and_succeed, args=(clerk.id, customer.id), connection=jobs.connection())
    complaint_id = ok.perform()
    resolution = db.session.scalars(sa.select(SlaClock).where(
        SlaClock.case_id == complaint_id, SlaClock.policy_key == "complaint.resolution")).one()
    assert fire_job_id(resolution.id, resolution.generation, resolution.next_fire_at) in scheduled_sla_jobs()
    assert "from-a-failed-job" not in jobs.get_queue("default").get_job_ids()


# --- the unit of work itself -----------------------------------------------------------------------------
def test_rollback_runs_the_hooks_and_drops_the_effects(clerk):
    customer = CustomerFactory(store=clerk.store)
    uow.commit()
    ran = []
    regulator_complaint(clerk, customer.id)
    uow.on_rollback(lambda: ran.append("hook"))
    uow.after_commit(lambda: ran.append("effect"))
    assert scheduling._SCHEDULE_KEY in db.session.info

    uow.rollback()

    assert ran == ["hook"]
    assert scheduling._SCHEDULE_KEY not in db.session.info
    uow.commit()  # the next unit of work: nothing of the rolled-back one runs
    assert ran == ["hook"]
    assert not scheduled_sla_jobs()


def test_commit_drops_the_hooks(store):
    ran = []
    uow.on_rollback(lambda: ran.append("hook"))
    uow.after_commit(lambda: ran.append("effect"))
    uow.commit()
    uow.rollback()
    assert ran == ["effect"]


def test_a_plain_session_rollback_ends_the_unit_of_work_too(clerk):
    """Code that rolls back the session directly (not through uow) still runs the hooks and drops
    the effects: the next commit must not send what the rolled-back work queued."""
    customer = CustomerFactory(store=clerk.store)
    uow.commit()
    regulator_complaint(clerk, customer.id)
    jobs.enqueue(noop, "rolled-back", job_id="rolled-back")
    db.session.rollback()
    assert scheduling._SCHEDULE_KEY not in db.session.info and uow.pending_effects() == 0
    uow.commit()
    assert queued_jobs() == {q.name: ([], [], []) for q in jobs.all_queues()}


def test_a_savepoint_rollback_leaves_the_unit_of_work_alone(store):
    ran = []
    uow.on_rollback(lambda: ran.append("hook"))
    uow.after_commit(lambda: ran.append("effect"))
    with pytest.raises(RuntimeError):
        with db.session.begin_nested():
            raise RuntimeError("a refused step")
    assert ran == []
    uow.commit()
    assert ran == ["effect"]


def test_a_failed_commit_runs_the_hooks_and_not_the_effects(store):
    ran = []
    uow.on_rollback(lambda: ran.append("hook"))
    uow.after_commit(lambda: ran.append("effect"))
    db.session.add(Store(code=store.code, name="Duplicate code", timezone="Asia/Shanghai"))
    with pytest.raises(sa.exc.IntegrityError):
        uow.commit()
    assert ran == ["hook"]
    assert uow.pending_effects() == 0


# --- the boundary's rule, on a bare app -----------------------------------------------------------------
@pytest.fixture
def bare(app):
    """A ClaimdeskFlask with the real error handlers and a few views that write a store, queue a job
    and register an on_rollback hook, then answer in different ways."""
    a = ClaimdeskFlask("boundary_test")
    for key in ("TESTING", "SECRET_KEY", "REDIS_URL", "QUEUE_PREFIX", "JOB_RETRY_INTERVALS"):
        a.config[key] = app.config[key]
    register_error_handlers(a)
    a.hooks_ran = []

    def write(tag: str) -> None:
        db.session.add(Store(code=_code(tag), name=f"Boundary {tag}", timezone="Asia/Shanghai"))
        db.session.flush()
        jobs.enqueue(noop, tag, job_id=f"job-{tag}")
        uow.on_rollback(lambda: a.hooks_ran.append(tag))

    @a.post("/api/ok")
    def ok():
        write("ok")
        return {"ok": True}, 201

    @a.post("/api/redirect")
    def moved():
        write("redirect")
        return redirect("/api/ok")

    @a.post("/api/answer-422")
    def answer_422():
        write("answer-422")
        return {"error": "no"}, 422

    @a.post("/api/raise-409")
    def raise_409():
        write("raise-409")
        raise Conflict("not in this state")

    @a.post("/api/refused-redirect")
    def refused_redirect():
        write("refused-redirect")
        try:
            raise ValidationFailed("refused")
        except ValidationFailed as err:
            answer = refuse(err, back="/api/ok")
        write("after-refusal")  # whatever the view does after refusing is not committed either
        return answer

    @a.get("/api/stream")
    def stream():
        write("stream")
        return Response(iter(["a", "b"]), status=200)

    return a


def _code(tag: str) -> str:
    return f"B-{tag}"[:16]  # a store code's length


def _stores(*tags) -> set[str]:
    codes = [_code(t) for t in tags]
    return set(db.session.scalars(sa.select(Store.__table__.c.code).where(Store.__table__.c.code.in_(codes))))


@pytest.mark.parametrize("path,status", [("/api/answer-422", 422), ("/api/raise-409", 409),
                                         ("/api/refused-redirect", 302)])
def test_refusals_roll_back_everything(bare, path, status):
    client = bare.test_client()
    before = world()
    r = client.post(path)
    assert r.status_code == status
    assert world() == before
    tag = path.rsplit("/", 1)[1]
    assert tag in bare.hooks_ran
    # a later successful request commits only its own work: nothing of the refused one comes along
    assert client.post("/api/ok").status_code == 201
    assert _stores(tag, "ok", "after-refusal") == {_code("ok")}
    assert jobs.get_queue("default").get_job_ids() == ["job-ok"]


@pytest.mark.parametrize("method,path,status", [("post", "/api/ok", 201), ("post", "/api/redirect", 302),
                                                ("get", "/api/stream", 200), ("head", "/api/stream", 200)])
def test_successes_commit(bare, method, path, status):
    r = getattr(bare.test_client(), method)(path)
    assert r.status_code == status
    tag = path.rsplit("/", 1)[1]
    assert _stores(tag) == {_code(tag)}
    assert jobs.get_queue("default").get_job_ids() == [f"job-{tag}"]
    assert bare.hooks_ran == []
