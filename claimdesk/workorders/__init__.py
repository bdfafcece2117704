"""Work orders (任务委托书): reception, estimate, authorisation, workshop, checks, delivery, follow-up."""


def init_app(app):
    from ..auth.permissions import get_or_404, require
    from ..documents.services import register_case_reader
    from .models import WorkOrder

    def read_work_order(case_id, user):
        require("workorders.read", user)
        return get_or_404(WorkOrder, case_id, user)

    register_case_reader(WorkOrder.CASE_TYPE, read_work_order)
    from .. import demo
    from .demo import seed_work_orders

    if seed_work_orders not in demo.SEEDERS:
        demo.SEEDERS.append(seed_work_orders)
    from ..core.timeline import field_labels, value_labels
    from . import labels as v

    for field, mapping in (("pay_type", v.PAY_TYPE_LABELS), ("decision", v.DECISION_LABELS),
                           ("kind", v.KIND_LABELS), ("stage", v.STAGE_LABELS), ("priority", v.PRIORITY_LABELS),
                           ("signature_channel", v.CHANNEL_LABELS), ("panel", dict(v.PANELS)),
                           ("old_parts", v.OLD_PARTS_LABELS), ("payment_method", v.PAYMENT_LABELS),
                           ("outcome", v.OUTCOME_LABELS)):
        value_labels(field, mapping, "work_order")
    field_labels(v.FIELD_LABELS, "work_order")
