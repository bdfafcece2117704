"""Manufacturer warranty claims (厂家索赔): opened from a work order's warranty lines; brand rules,
pre-authorisation, evidence, submission, per-line decisions, resubmission, old-part return, credit notes."""


def init_app(app) -> None:
    from ..auth.permissions import get_or_404, require
    from ..core.workflow import action_performed
    from ..documents.services import register_case_reader
    from ..workorders import billing as workorder_billing
    from ..workorders import services as workorder_services
    from .models import WarrantyClaim
    from .services import linked_warranty_claims, money_guard, on_action_performed

    def read_claim(case_id, user):
        require("warranty.read", user)
        return get_or_404(WarrantyClaim, case_id, user)

    register_case_reader(WarrantyClaim.CASE_TYPE, read_claim)
    for hooks, hook in ((workorder_services.LINKED_CASES, linked_warranty_claims),
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

    for field, mapping in lb.VALUE_LABELS.items():
        value_labels(field, mapping, "warranty")
    field_labels(lb.FIELD_LABELS, "warranty")
