"""Bearer tokens (POST/DELETE /api/v1/auth/tokens), the caller, and the store/user directory."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from ..core import uow
from ..core.errors import DomainError, Unauthenticated
from ..extensions import db, limiter
from . import services
from .models import Store, User
from .permissions import actor, remember_api_user, visible_store_ids
from .schemas import StoreOut, TokenIn, TokenOut, UserOut

blp = Blueprint("auth_api", __name__, url_prefix="/api/v1", description="Authentication")

#: endpoints an anonymous client may call
PUBLIC_ENDPOINTS = {"auth_api.Tokens", "api-docs.openapi_json"}


def authenticate_api_request() -> None:
    """Bearer-token authentication for every /api/v1 request; the session cookie is not used here."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(_("Send Authorization: Bearer <token> (POST /api/v1/auth/tokens)."))
    found = services.token_user(token.strip())
    if found is None:
        raise Unauthenticated(_("The token is unknown, expired or revoked."))
    user, row = found
    g.api_token = row
    remember_api_user(user)


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_requests"


@blp.route("/auth/tokens")
class Tokens(MethodView):
    decorators = [limiter.limit(services.login_rate_limit, methods=["POST"], deduct_when=services.login_failed)]

    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    @blp.alt_response(401, description="Wrong username or password (the same answer for an unknown or inactive "
                                       "account).")
    @blp.alt_response(429, description="Too many failed attempts for this account or from this address; wait "
                                       "and try again (the wait doubles with each further failure).")
    @blp.doc(security=[])
    def post(self, data):
        """Log in: a bearer token for `Authorization: Bearer <token>` (no token needed to ask)."""
        user, wait = services.attempt_login(data["username"], data["password"], request.remote_addr)
        if user is None:
            # The failure must be counted even though we answer with an error (which rolls back).
            uow.commit()
            if wait:
                raise TooManyAttempts(_("Too many failed attempts: wait %(seconds)s seconds and try again.",
                                        seconds=wait))
            raise Unauthenticated(_("Wrong username or password."))
        token, row = services.issue_token(user)
        return {"token": token, "expires_at": row.expires_at}


@blp.route("/auth/tokens/current")
class CurrentToken(MethodView):
    @blp.response(204)
    def delete(self):
        services.revoke_token(g.api_token)
        return None


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserOut)
    def get(self):
        return actor()


@blp.route("/stores")
class Stores(MethodView):
    @blp.response(200, StoreOut(many=True))
    def get(self):
        user = actor()
        stmt = sa.select(Store).order_by(Store.code)
        ids = visible_store_ids(user)
        if ids is not None:
            stmt = stmt.where(Store.id.in_(ids))
        return list(db.session.scalars(stmt))


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserOut(many=True))
    def get(self):
        """Active staff of the stores the caller sees (for assignment pickers)."""
        user = actor()
        stmt = sa.select(User).where(User.active.is_(True)).order_by(User.username)
        ids = visible_store_ids(user)
        if ids is not None:
            stmt = stmt.where(User.store_id.in_(ids))
        return list(db.session.scalars(stmt))
