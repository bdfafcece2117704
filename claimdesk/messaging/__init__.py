"""Messages to customers (SMS, WeChat, e-mail or the local outbox) and the customer status link.

Case domains never import this package: it listens to `core.workflow.action_performed` and reads the
cases through the workflow registry; the customer's actions run the cases' own workflow actions.
"""
from __future__ import annotations


def init_app(app) -> None:
    from flask_babel import lazy_gettext as _l

    from ..core import timeline
    from ..core.workflow import action_performed
    from ..extensions import csrf
    from . import hooks, portal, triggers

    action_performed.connect(triggers.on_action, weak=False)
    from .views import case_messages_url

    app.jinja_env.globals["case_messages_url"] = case_messages_url
    app.register_blueprint(portal.bp)  # public forms carry the CSRF token like every form
    csrf.exempt(hooks.bp)  # the provider's server posts here; the URL's secret guards it
    app.register_blueprint(hooks.bp)
    from ..auth.api import PUBLIC_ENDPOINTS

    PUBLIC_ENDPOINTS.update({"messaging_hooks.aliyun_sms_up", "messaging_hooks.aliyun_sms_report"})
    timeline.ACTION_LABELS.update({
        "message_sent": _l("Message sent"),
        "message_retrying": _l("Message failed, will retry"), "message_failed": _l("Message failed"),
        "message_held": _l("Message held"), "message_skipped": _l("Message not sent"),
        "message_delivered": _l("Message delivered"), "message_undelivered": _l("Message not delivered"),
        "status_link_revoked": _l("Status link revoked"),
    })
    timeline.FIELD_LABELS.update({"recipient": _l("Recipient"), "provider": _l("Provider"),
                                  "attempt": _l("Attempt"), "error": _l("Error")})
    from .views import CHANNEL_LABELS, REASON_LABELS, STATE_LABELS
    from .templates import KIND_LABELS

    for case_type in ("work_order", "claim", "complaint"):
        labels = timeline.VALUE_LABELS.setdefault((case_type, "kind"), {})
        for key, label in KIND_LABELS.items():  # a case type's own "kind" labels win
            labels.setdefault(key, label)
    timeline.VALUE_LABELS.setdefault(("*", "channel"), {}).update(CHANNEL_LABELS)
    timeline.VALUE_LABELS.setdefault(("*", "state"), {}).update(STATE_LABELS)
    timeline.VALUE_LABELS.setdefault(("*", "reason"), {}).update(REASON_LABELS)
