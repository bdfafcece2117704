"""JSON API of the 三包 ledger: a vehicle's ledger, the advisor's confirmation of a work order's
episode, the rule sets and their thresholds."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.permissions import get_or_404, require
from ..core.errors import NotFound
from ..customers.models import Vehicle
from ..extensions import db
from ..workorders.models import WorkOrder
from . import ledger as ledgers
from . import queries, services
from .models import SanbaoRuleSet
from .presenters import as_dict
from .schemas import EpisodeIn, EpisodeOut, RuleSetIn, RuleSetOut, SanbaoOut

blp = Blueprint("sanbao_api", __name__, url_prefix="/api/v1", description="三包 ledger (repair, replacement, return)")


@blp.route("/vehicles/<int:vehicle_id>/sanbao")
class VehicleSanbao(MethodView):
    @blp.response(200, SanbaoOut)
    def get(self, vehicle_id):
        """The vehicle's 三包 ledger: period, repair days used, repeat repairs per problem, the art.-24
        conditions with their levels, every episode and the alerts that fired."""
        user = require("workorders.read")
        return as_dict(ledgers.build(get_or_404(Vehicle, vehicle_id, user)))


@blp.route("/work-orders/<int:case_id>/sanbao")
class WorkOrderEpisode(MethodView):
    @blp.arguments(EpisodeIn)
    @blp.response(200, EpisodeOut)
    def put(self, data, case_id):
        """The advisor confirms (or corrects) how the work order counts: quality repair or not, system,
        fault code, the problem group, serious safety fault, main component replaced."""
        user = require("workorders.create")
        wo = get_or_404(WorkOrder, case_id, user)
        services.confirm_episode(user, wo, data)
        led = ledgers.build(wo.vehicle)
        return next(e for e in as_dict(led)["episodes"] if e["work_order_id"] == wo.id)


@blp.route("/sanbao/rule-sets")
class RuleSets(MethodView):
    @blp.response(200, RuleSetOut(many=True))
    def get(self):
        """The dated rule sets (the one in force on a car's purchase invoice date applies)."""
        return queries.rule_sets(require("workorders.read"))


@blp.route("/sanbao/rule-sets/<int:rule_set_id>")
class RuleSetItem(MethodView):
    @blp.arguments(RuleSetIn)
    @blp.response(200, RuleSetOut)
    def patch(self, data, rule_set_id):
        """Change a rule set's periods, limits or warning thresholds: a group-wide set by a group-wide manager or
        administrator, a store's own set by that store's (403 otherwise; copy the group's set for your store
        first: `POST /sanbao/rule-sets/{id}/copy`)."""
        user = require("sanbao.rules.write")
        rs = db.session.get(SanbaoRuleSet, rule_set_id)
        if rs is None:
            raise NotFound("Not found.")
        return services.update_rule_set(user, rs, data)


@blp.route("/sanbao/rule-sets/<int:rule_set_id>/copy")
class RuleSetCopy(MethodView):
    @blp.response(200, RuleSetOut)
    def post(self, rule_set_id):
        """Your store's own copy of a group-wide rule set (made now with the group's thresholds, or the copy your
        store has already); it applies to your store's cars instead of the group's from then on."""
        user = require("sanbao.rules.write")
        rs = db.session.get(SanbaoRuleSet, rule_set_id)
        if rs is None:
            raise NotFound("Not found.")
        return services.copy_for_store(user, rs)
