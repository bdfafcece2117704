"""JSON API of customer messaging: the messages (the outbox), a customer's contact preference, and a
case's status link (make one / revoke it)."""
from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from ..auth.permissions import actor, get_or_404, scoped
from ..core.errors import Forbidden, NotFound
from ..core.http import paginate
from ..core.workflow import REGISTRY
from ..customers.models import Customer
from . import services
from .models import ContactPreference, Message, StatusLink
from .schemas import ContactPreferenceIn, ContactPreferenceOut, MessagePage, MessageQuery, StatusLinkOut

blp = Blueprint("messaging_api", __name__, url_prefix="/api/v1", description="Messages to customers")
ROLES = frozenset({"admin", "manager", "advisor", "front_desk_supervisor", "customer_relations"})
WRITERS = ROLES - {"admin"}


def _user(roles=ROLES):
    user = actor()
    if user.role not in roles:
        raise Forbidden(str(_l("Your role may not do this.")))
    return user


@blp.route("/messages")
class Messages(MethodView):
    @blp.arguments(MessageQuery, location="query")
    @blp.response(200, MessagePage)
    def get(self, args):
        """Messages of the caller's stores, newest first, with their delivery state (recipients masked)."""
        user = _user()
        stmt = scoped(sa.select(Message), Message, user)
        for key in ("case_type", "case_id", "customer_id", "state", "kind"):
            if args.get(key) is not None:
                stmt = stmt.where(getattr(Message, key) == args[key])
        return paginate(stmt.order_by(Message.id.desc()), args)


@blp.route("/customers/<int:customer_id>/contact-preference")
class Preference(MethodView):
    @blp.response(200, ContactPreferenceOut)
    def get(self, customer_id):
        user = _user()
        customer = get_or_404(Customer, customer_id, user)
        return services.preference(customer.id) or ContactPreference(customer_id=customer.id, channel="sms",
                                                                     locale=services.locale_of(None))

    @blp.arguments(ContactPreferenceIn)
    @blp.response(200, ContactPreferenceOut)
    def put(self, data, customer_id):
        """Consent (null: not asked), preferred channel, message language, WeChat OpenID, e-mail."""
        user = _user(WRITERS)
        return services.set_preference(get_or_404(Customer, customer_id, user), data)


def _case(cases: str, case_id: int, user):
    case_type = {"work-orders": "work_order", "claims": "claim", "complaints": "complaint"}.get(cases)
    if case_type is None or case_type not in REGISTRY:
        raise NotFound(str(_l("Not found.")))
    return get_or_404(REGISTRY[case_type].model, case_id, user)


def _link_out(link: StatusLink, case) -> dict:
    return {"id": link.id, "case_type": link.case_type, "case_id": link.case_id, "url": services.link_url(link),
            "state": services.link_state(link, case), "created_at": link.created_at,
            "expires_at": link.expires_at, "revoked_at": link.revoked_at}


@blp.route("/<any('work-orders','claims','complaints'):cases>/<int:case_id>/status-link")
class CaseLink(MethodView):
    @blp.response(201, StatusLinkOut)
    def post(self, cases, case_id):
        """The case's valid customer status link (made if there is none)."""
        user = _user(WRITERS)
        case = _case(cases, case_id, user)
        return _link_out(services.link_for(case), case)

    @blp.response(200, StatusLinkOut(many=True))
    def delete(self, cases, case_id):
        """Revoke every valid link of the case; the page then answers 410 without data."""
        user = _user(WRITERS)
        case = _case(cases, case_id, user)
        links = services.links_of(case)
        for link in links:
            if link.revoked_at is None:
                services.revoke_link(link, user)
        return [_link_out(link, case) for link in links]
