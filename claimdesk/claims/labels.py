"""The words staff see for claim fields on the timeline, translated."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

#: the timeline's words for this domain's own event fields (registered with core.timeline in init_app)
FIELD_LABELS = {
    "accident_at": _l("Accident time"), "accident_place": _l("Accident place"),
    "agreed_value": _l("Agreed value"), "approved_total": _l("Approved total"),
    "assessor_company": _l("Assessor's company"), "assessor_name": _l("Assessor"),
    "assessor_phone": _l("Assessor's phone"), "authorised_by": _l("Authorised by"),
    "compulsory_policy_number": _l("Compulsory policy no."), "customer_decision": _l("Customer's decision"),
    "customer_owes_amount": _l("Customer owes"), "customer_pays": _l("Customer pays"),
    "damage_items": _l("Damage items"), "documents_complete": _l("Documents complete"),
    "fully_paid": _l("Fully paid"), "liability": _l("Liability"),
    "missing_documents": _l("Missing documents"), "owner_representative": _l("Owner's representative"),
    "paid_total": _l("Paid in total"), "payer_route": _l("Payer route"), "policy_number": _l("Policy no."),
    "report_number": _l("Insurer's report no."), "reported_at": _l("Reported at"),
    "shortfall": _l("Shortfall"), "shortfall_action": _l("Shortfall handling"),
    "supplement": _l("Supplement"), "write_off_reason": _l("Write-off reason"),
}
