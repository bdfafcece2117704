"""Login, logout, language, own settings, and the admins' user and store pages."""
from __future__ import annotations

from urllib.parse import urlparse

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError, fields, validate
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..core import uow
from ..core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ..core.web import refuse, staff_blueprint
from ..extensions import db, limiter
from . import services
from . import store_settings as front_desk
from .models import ROLES, Store, User
from .permissions import require, require_user_scope, sees_store

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])


def _safe_next(target: str | None) -> str:
    if target and not urlparse(target).netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.home")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(services.login_rate_limit, methods=["POST"], deduct_when=services.login_failed)
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        # An unknown name, a wrong password, an inactive account and a throttled one answer alike for
        # every name: nothing here tells which usernames exist.
        user, wait = services.attempt_login(form.username.data, form.password.data, request.remote_addr)
        if wait:
            flash(_("Too many failed attempts: wait %(seconds)s seconds and try again.", seconds=wait), "danger")
            return render_template("auth/login.html", form=form), 429
        if user is None:
            # The failed-attempt counter must land although the answer (401) makes the boundary roll back.
            uow.commit()
            flash(_("Wrong username or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        session.clear()
        secret, _row = services.start_session(user)
        login_user(user)
        session["_sid"] = secret  # the server-side session (auth.models.UserSession) this cookie belongs to
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.end_session(session.get("_sid"))  # a copy of the cookie is worthless from now on
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    if code in ("en", "zh"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlparse(request.referrer).path))


# --- administration: stores and users (admins), own settings (everyone) ---------------------------
admin = staff_blueprint("admin", __name__, url_prefix="/admin")


class UserForm(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{2,64}$"))
    full_name = fields.String(load_default=None, validate=validate.Length(max=120))
    password = fields.String(required=True, validate=validate.Length(max=256))  # the policy: services
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    store_id = fields.Integer(required=True)
    team = fields.String(load_default=None, validate=validate.Length(max=64))
    email = fields.Email(load_default=None)
    is_group = fields.Boolean(load_default=False)
    is_store_manager = fields.Boolean(load_default=False)


class StoreForm(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9]{2,16}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    timezone = fields.String(load_default="Asia/Shanghai", validate=validate.Length(max=64))
    address = fields.String(load_default=None, validate=validate.Length(max=255))
    phone = fields.String(load_default=None, validate=validate.Length(max=32))


def _form(form) -> dict:
    data = {k: v for k, v in form.items() if k != "csrf_token" and v.strip() != ""}
    for flag in ("is_group", "is_store_manager"):
        data[flag] = flag in form
    return data


def _managed_stores(me) -> list[Store]:
    stmt = sa.select(Store).order_by(Store.code)
    if not me.is_group:
        stmt = stmt.where(Store.id == me.store_id)
    return list(db.session.scalars(stmt))


@admin.route("/users", methods=["GET", "POST"])
def users():
    me = require("users.manage")
    errors, values = {}, {}
    if request.method == "POST":
        values = request.form
        try:
            data = UserForm().load(_form(request.form))
            store = db.session.get(Store, data.pop("store_id"))
            if store is None:
                raise ValidationError({"store_id": [_("Unknown store.")]})
            require_user_scope(me, store.id, data["is_group"])
            user = services.create_user(data.pop("username"), data.pop("password"), data.pop("role"), store,
                                        group=data.pop("is_group"), **data)
        except ValidationError as err:
            errors = err.messages
        except Forbidden:
            raise
        except DomainError as err:
            errors = refuse(err, field="username")
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    stmt = sa.select(User).order_by(User.store_id, User.role, User.username)
    if not me.is_group:
        stmt = stmt.where(User.store_id == me.store_id)
    return render_template("auth/users.html", users=db.session.scalars(stmt).all(), stores=_managed_stores(me),
                           roles=ROLES, errors=errors, values=values, group_admin=me.is_group), \
        (422 if errors else 200)


@admin.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_user(user_id: int):
    me = require("users.manage")
    user = db.session.get(User, user_id)
    if user is None or not (me.is_group or user.store_id == me.store_id):
        raise NotFound(_("Unknown user."))  # another store's account: as if it did not exist
    require_user_scope(me, user.store_id, user.is_group)
    if user.id == me.id:
        return refuse(Conflict(_("You cannot deactivate yourself.")), back=url_for("admin.users"))
    services.set_active(user, not user.active)  # deactivation ends every session and token at once
    flash(_("%(name)s is now %(state)s.", name=user.username,
            state=_("active") if user.active else _("inactive")), "success")
    return redirect(url_for("admin.users"))


@admin.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    """An administrator sets a new password (the user forgot theirs, or it leaked): every session and API
    token of the user ends. Same scope as deactivation."""
    me = require("users.manage")
    user = db.session.get(User, user_id)
    if user is None or not (me.is_group or user.store_id == me.store_id):
        raise NotFound(_("Unknown user."))
    require_user_scope(me, user.store_id, user.is_group)
    problem = services.password_problem(request.form.get("password", ""), user.username, user.full_name)
    if problem:
        flash(problem, "danger")
    else:
        services.set_password(user, request.form["password"])
        flash(_("New password set for %(name)s; their sessions and API tokens have ended.", name=user.username),
              "success")
    return redirect(url_for("admin.users"))


@admin.route("/stores", methods=["GET", "POST"])
def stores():
    me = require("stores.manage")
    errors, values = {}, {}
    if request.method == "POST":
        if not me.is_group:
            raise Forbidden(_("Only a group-wide administrator adds stores."))
        values = request.form
        try:
            data = StoreForm().load({k: v for k, v in request.form.items() if k != "csrf_token" and v.strip()})
            store = services.create_store(data.pop("code"), data.pop("name"), data.pop("timezone"), **data)
        except ValidationError as err:
            errors = err.messages
        except DomainError as err:
            errors = refuse(err, field="code")
        else:
            flash(_("Store %(code)s created.", code=store.code), "success")
            return redirect(url_for("admin.stores"))
    return render_template("auth/stores.html", stores=_managed_stores(me), errors=errors, values=values,
                           group_admin=me.is_group), (422 if errors else 200)


@admin.route("/store-settings")
def my_store_settings():
    """The menu's "Store settings": the caller's own store."""
    me = require("stores.settings")
    return redirect(url_for("admin.store_settings", store_id=me.store_id))


@admin.route("/stores/<int:store_id>/settings", methods=["GET", "POST"])
def store_settings(store_id: int):
    """A store's front-desk settings: its managers and admins (group-wide ones: every store)."""
    me = require("stores.settings")
    store = db.session.get(Store, store_id)
    if store is None or not sees_store(me, store.id):
        raise NotFound(_("Unknown store."))
    errors, values = {}, None
    if request.method == "POST":
        rows = min(max(request.form.get("rule_rows", 0, type=int) or 0, 0), 50)
        try:
            rules = front_desk.rules_from_form(request.form, rows)
            changes = front_desk.update(store, {"separate_check_signers": "separate_check_signers" in request.form,
                                                front_desk.RULES_KEY: rules}, me)
        except ValidationFailed as err:
            errors, values = refuse(err), request.form
        else:
            flash(_("Store settings saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("admin.store_settings", store_id=store.id))
    settings_ = store.settings or {}
    rules = settings_.get(front_desk.RULES_KEY) or []
    return render_template("auth/store_settings.html", store=store, errors=errors, values=values, rules=rules,
                           rows=len(rules) + 2, payers=front_desk.PAYERS, history=settings_.get("history") or [],
                           separate=settings_.get("separate_check_signers", True)), (422 if errors else 200)


@admin.route("/me", methods=["GET", "POST"])
def settings():
    user = current_user._get_current_object()
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new and not user.check_password(request.form.get("current_password", "")):
            return refuse(ValidationFailed(_("The current password is wrong; nothing was changed.")),
                          back=url_for("admin.settings"))
        if new:
            problem = services.password_problem(new, user.username, user.full_name)
            if problem:
                return refuse(ValidationFailed(problem), back=url_for("admin.settings"))
            # every token and every other session of this user ends; this one goes on
            services.set_password(user, new, keep_session=g.get("user_session"))
        locale = request.form.get("locale") or None
        if locale in (None, "en", "zh"):
            user.locale = locale
            session.pop("lang", None)
        flash(_("Saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("auth/settings.html", user=user)


@admin.route("/me/sessions/end", methods=["POST"])
def end_sessions():
    """Log out everywhere: every browser session (this one too) and every API token of the caller."""
    user = current_user._get_current_object()
    services.end_access(user)
    logout_user()
    session.clear()
    flash(_("You are logged out everywhere: every session and API token has ended."), "info")
    return redirect(url_for("auth.login"))
