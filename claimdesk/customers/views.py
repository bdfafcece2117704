"""Customer archive pages: search list, customer with vehicles and full history, forms."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from ..auth.permissions import get_or_404, require
from ..core.errors import DomainError
from ..core.http import paginate
from ..core.web import (CUSTOMER_PANELS, HISTORY_PROVIDERS, NUMBER_LOOKUPS, case_url, local_url, refuse,
                        staff_blueprint)
from ..extensions import db
from . import entitlements, queries, services
from .models import Customer, Vehicle
from .schemas import CustomerIn, CustomerPatch, VehicleIn, VehiclePatch
from .validators import looks_like

bp = staff_blueprint("customers", __name__, url_prefix="/customers")
#: the search box of every page: a case number jumps to its case, else customers and their cases
search_bp = staff_blueprint("search", __name__)


def form_dict(form) -> dict:
    """Form fields to a dict for a schema: empty strings are left out (= not given)."""
    return {k: v for k, v in form.items() if k != "csrf_token" and v.strip() != ""}


def _load(schema, form):
    try:
        return schema().load(form_dict(form)), None
    except ValidationError as err:
        return None, err.messages


@bp.route("/")
def index():
    user = require("customers.read")
    args = {"q": request.args.get("q", ""), "page": max(request.args.get("page", 1, type=int), 1), "per_page": 50}
    page = paginate(queries.customer_search(user, args), args)
    return render_template("customers/index.html", page=page, q=args["q"])


@bp.route("/new", methods=["GET", "POST"])
def new():
    user = require("customers.write")
    errors, values = {}, request.form
    if request.method == "POST":
        data, errors = _load(CustomerIn, request.form)
        if data is not None:
            customer = services.create_customer(user, data)
            flash(_("Customer %(name)s saved.", name=customer.name), "success")
            nxt = local_url(request.args.get("next"))
            if nxt:
                return redirect(f"{nxt}{'&' if '?' in nxt else '?'}customer_id={customer.id}")
            return redirect(url_for("customers.new_vehicle", customer_id=customer.id))
    return render_template("customers/form.html", customer=None, values=values, errors=errors), \
        (422 if errors else 200)


@bp.route("/<int:customer_id>")
def detail(customer_id: int):
    user = require("customers.read")
    return detail_page(get_or_404(Customer, customer_id, user), user)


def detail_page(customer: Customer, user) -> str:
    """The customer page: the archive, the vehicles, the full history and the cards other domains add
    (`core.web.CUSTOMER_PANELS`); a form posted from one of those cards renders it again when refused."""
    history = []
    for provider in HISTORY_PROVIDERS:
        history.extend(provider(customer.id, user))
    history.sort(key=lambda h: h["created_at"], reverse=True)
    panels = [p for p in (panel(customer, user) for panel in CUSTOMER_PANELS) if p]
    return render_template("customers/detail.html", customer=customer, history=history, panels=panels)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
def edit(customer_id: int):
    user = require("customers.write")
    customer = get_or_404(Customer, customer_id, user)
    errors, values = {}, request.form if request.method == "POST" else customer.__dict__
    if request.method == "POST":
        data, errors = _load(CustomerPatch, request.form)
        if data is not None:
            services.update_customer(customer, data)
            flash(_("Saved."), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/form.html", customer=customer, values=values, errors=errors), \
        (422 if errors else 200)


@bp.route("/<int:customer_id>/vehicles/new", methods=["GET", "POST"])
def new_vehicle(customer_id: int):
    user = require("customers.write")
    customer = get_or_404(Customer, customer_id, user)
    errors, values = {}, request.form
    if request.method == "POST":
        form = dict(request.form)
        form["customer_id"] = str(customer.id)
        data, errors = _load(VehicleIn, form)
        if data is not None:
            try:
                vehicle = services.create_vehicle(user, data)
            except DomainError as err:
                errors = refuse(err)
            else:
                flash(_("Vehicle %(plate)s saved.", plate=vehicle.plate), "success")
                return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/vehicle_form.html", customer=customer, vehicle=None, values=values,
                           errors=errors), (422 if errors else 200)


@bp.route("/vehicles/<int:vehicle_id>")
def vehicle(vehicle_id: int):
    user = require("customers.read")
    v = get_or_404(Vehicle, vehicle_id, user)
    history = [h for provider in HISTORY_PROVIDERS for h in provider(v.customer_id, user)
               if h.get("vehicle_id") in (None, v.id)]
    history.sort(key=lambda h: h["created_at"], reverse=True)
    fs = entitlements.of_vehicle(v)
    used_url = case_url("work_order", fs.work_order_id) if fs.work_order_id else None
    return render_template("customers/vehicle.html", vehicle=v, history=history, first_service=fs,
                           first_service_refusal=entitlements.refusal(fs), first_service_url=used_url)


@bp.route("/vehicles/<int:vehicle_id>/edit", methods=["GET", "POST"])
def edit_vehicle(vehicle_id: int):
    user = require("customers.write")
    v = get_or_404(Vehicle, vehicle_id, user)
    errors, values = {}, request.form if request.method == "POST" else v.__dict__
    if request.method == "POST":
        data, errors = _load(VehiclePatch, request.form)
        if data is not None:
            try:
                services.update_vehicle(user, v, data)
            except DomainError as err:
                errors = refuse(err)
            else:
                flash(_("Saved."), "success")
                return redirect(url_for("customers.vehicle", vehicle_id=v.id))
    return render_template("customers/vehicle_form.html", customer=v.customer, vehicle=v, values=values,
                           errors=errors), (422 if errors else 200)


@search_bp.route("/search")
def search():
    user = current_user._get_current_object()
    q = (request.args.get("q") or "").strip()
    if not q:
        return render_template("customers/search.html", q=q, customers=[], cases=[])
    if looks_like(q) == "number":
        for lookup in NUMBER_LOOKUPS:
            url = lookup(q.upper(), user)
            if url:
                return redirect(url)
    stmt = queries.customer_search(user, {"q": q}).limit(50)
    customers = list(db.session.scalars(stmt).unique())
    if len(customers) == 1 and request.args.get("go") != "0":
        return redirect(url_for("customers.detail", customer_id=customers[0].id))
    cases = []
    for provider in HISTORY_PROVIDERS:
        for c in customers[:10]:
            cases.extend(provider(c.id, user))
    return render_template("customers/search.html", q=q, customers=customers, cases=cases)
