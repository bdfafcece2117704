"""Customer complaints (客户投诉): listen, apologise, resolve, follow up."""


def init_app(app):
    from ..core.workflow import action_performed
    from ..workorders import services as workorder_services
    from ..workorders.workflow import WF as WORK_ORDERS
    from .callbacks import linked_complaints, on_work_order_action

    action_performed.connect(on_work_order_action, sender=WORK_ORDERS)
    if linked_complaints not in workorder_services.LINKED_CASES:
        workorder_services.LINKED_CASES.append(linked_complaints)
    from ..demo import SEEDERS
    from .demo import seed_complaints

    if seed_complaints not in SEEDERS:
        SEEDERS.append(seed_complaints)
    from ..core.timeline import field_labels, value_labels
    from . import labels as lb

    for field, mapping in (("channel", lb.CHANNEL_LABELS), ("category", lb.CATEGORY_LABELS),
                           ("severity", lb.SEVERITY_LABELS), ("attribution", lb.ATTRIBUTION_LABELS)):
        value_labels(field, mapping, "complaint")
    field_labels(lb.FIELD_LABELS, "complaint")
