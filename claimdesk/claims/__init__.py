"""Insurance claims (保险理赔): report, joint assessment, repair, document collection, payout."""


def init_app(app) -> None:
    from ..auth.permissions import get_or_404, require
    from ..core.workflow import action_performed
    from ..documents.services import register_case_reader
    from ..workorders import billing as workorder_billing
    from ..workorders import services as workorder_services
    from .models import Claim
    from .repair import delivery_gates, linked_claims, money_guard, on_action_performed

    def read_claim(case_id, user):
        require("claims.read", user)
        return get_or_404(Claim, case_id, user)

    register_case_reader(Claim.CASE_TYPE, read_claim)
    for hooks, hook in ((workorder_services.DELIVERY_GATES, delivery_gates),
                        (workorder_services.LINKED_CASES, linked_claims),
                        (workorder_billing.MONEY_GUARDS, money_guard)):
        if hook not in hooks:
            hooks.append(hook)
    from ..demo import SEEDERS
    from .demo import seed

    if seed not in SEEDERS:
        SEEDERS.append(seed)
    action_performed.connect(on_action_performed)
    from ..core.timeline import field_labels, value_labels
    from . import labels as lb
    from . import views as v

    for field, mapping in (("liability", v.LIABILITY_LABELS), ("payer_route", v.PAYER_ROUTE_LABELS),
                           ("present", v.PRESENT_LABELS), ("status", v.DOC_STATUS_LABELS)):
        value_labels(field, mapping, "claim")
    field_labels(lb.FIELD_LABELS, "claim")
