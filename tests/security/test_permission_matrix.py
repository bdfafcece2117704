"""The permission matrix: every route of the app (API and HTML, from app.url_map) × every role ×
own store / other store, against one declarative table (MATRIX below).

How to read an entry `R(who, pre=…, store=…)`:
- `who`: roles that may use the route (after any state or field check: they never see 401/403/404);
- `pre`: roles that pass the check made *before* the record is looked up (default: `who`); a role in
  `pre` but not in `who` is refused once the record is found (403; on HTML action forms the refusal is
  a redirect with a flash and the case unchanged);
- `store`: the URL names a record that belongs to a store — the same URL with the other store's record
  must answer 404 to every role in `pre` (existence never leaks) and 403 to the rest;
- `ok`: the status a permitted GET answers (200 unless said otherwise);
- `anywhere`: roles for which the other store's record is no different (admins configure every
  store's SLA calendar).
Anonymous callers get 401 (API) or a redirect to the login page (HTML) unless the route is PUBLIC.

A route in url_map without an entry fails `test_every_route_has_an_entry` — add it here when you add it.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from tests.security.samples import request_schemas, sample

CR, ADV, WS, MGR, ADM = "customer_relations", "advisor", "workshop", "manager", "admin"
QC, IC = "qc_inspector", "info_clerk"  # the QC inspector (质检员), the information clerk (信息员)
FDS = "front_desk_supervisor"  # the front-desk supervisor (前台主管): an advisor for every advisor, and the reports
ROLES = (CR, ADV, FDS, WS, QC, IC, MGR, ADM)
ALL = frozenset(ROLES)
STAFF = ALL - {ADM}
NOBODY = frozenset()


@dataclass(frozen=True)
class R:
    who: frozenset
    pre: frozenset | None = None
    store: bool = False
    ok: int | tuple = 200
    refusal: str = "403"  # or "flash": HTML action forms go back to the case with a message
    anywhere: frozenset = frozenset()  # roles that act on every store's record (group-wide by design)
    anon_ok: int | None = None  # what a permitted anonymous GET answers, when it differs from `ok`
    body: object = None  # callable(world, role) -> JSON body, where the sampled one cannot work

    @property
    def before(self) -> frozenset:
        return self.who | (self.pre or frozenset())


def roles(*names) -> frozenset:
    return frozenset(names)


# --- the policy, per permission (auth/permissions.py must agree) ------------------------------------
CUSTOMERS_READ, CUSTOMERS_WRITE = ALL, roles(CR, ADV, FDS, MGR, ADM)
WO_READ, WO_CREATE, PARTS_WRITE = STAFF, roles(ADV, FDS, MGR), roles(ADV, FDS, WS, MGR, ADM)
COMPLAINTS_READ, COMPLAINTS_CREATE = STAFF, roles(CR, ADV, FDS, MGR)
CLAIMS_READ, CLAIMS_CREATE, UPLOAD = roles(CR, ADV, FDS, MGR), roles(ADV, FDS, MGR), roles(ADV, FDS, MGR)
INSURERS_READ, INSURERS_WRITE = ALL, roles(ADV, FDS, MGR, ADM)
# changing an insurer (shared by the group): managers and admins who are group-wide. The matrix's users all
# belong to one store, so each is refused (403); tests/claims/test_insurer_edits.py covers the group-wide ones.
INSURERS_EDIT = roles(MGR, ADM)
SLA_READ, SLA_ADMIN = ALL, roles(MGR, ADM)
DASHBOARD = roles(MGR, ADM, IC, FDS)  # the information clerk prepares the reports; the front desk's supervisor
STORE_SETTINGS = roles(MGR, ADM)  # the store's front-desk settings (check signers, first free service rules)
# the appointment diary and the reminder / campaign call lists (the workshop may not book)
DIARY_READ, BOOK, DIARY_SETTINGS = STAFF, roles(CR, ADV, FDS, MGR), roles(MGR, ADM)
REMINDERS_READ, REMINDERS_WORK, CAMPAIGNS = roles(CR, ADV, FDS, MGR, IC), roles(CR, ADV, FDS, MGR), roles(MGR)
WARRANTY_READ, WARRANTY_CREATE, WARRANTY_RULES = roles(ADV, FDS, MGR, IC), roles(ADV, FDS, MGR), roles(MGR, ADM)
GROUP_WIDE = roles(ADM)  # SLA calendars: admins configure every store (sla.services.is_group_wide)
SANBAO_RULES = roles(MGR, ADM)  # the 三包 rule sets' thresholds

# --- case actions: who may run each (managers always may) --------------------------------------------
WO_ACTIONS = {
    **dict.fromkeys(["check_in", "estimate", "remove_line", "decide_warranty", "authorise", "revise_promise",
                     "decide_extra_work",
                     "notify_customer", "deliver", "cancel", "add_adjustment", "remove_adjustment",
                     "record_payment", "refund", "apply_first_service"], roles(ADV, FDS, MGR)),
    **dict.fromkeys(["dispatch", "complete_repair", "wash"], roles(WS, MGR)),
    # the engine lets both sign; which stage is whose is checked after the record is found (checks.py)
    **dict.fromkeys(["pass_check", "fail_check"], roles(WS, QC, MGR)),
    "request_extra_work": roles(ADV, FDS, WS, MGR),
    "follow_up": roles(ADV, FDS, CR, IC, MGR),
    # the supervisor reassigns work orders between advisors
    **dict.fromkeys(["assign", "pause", "resume", "acknowledge"], roles(ADV, FDS, WS, MGR)),
    "note": roles(ADV, FDS, WS, CR, MGR),
}
COMPLAINT_ACTIONS = {
    **dict.fromkeys(["listen", "apologise", "resolve", "escalate"], roles(CR, ADV, FDS, MGR)),
    "follow_up": roles(CR, MGR),
    "close": roles(MGR),
    **dict.fromkeys(["assign", "pause", "resume", "acknowledge", "note"], roles(CR, ADV, FDS, MGR)),
}
CLAIM_ACTIONS = {
    **dict.fromkeys(["update_report", "schedule_assessment", "vehicle_arrived", "assess", "supplement",
                     "decide_supplement", "customer_supplement_decision", "complete_repair", "collect_document",
                     "submit", "record_payout", "close", "declare_total_loss", "reject", "withdraw", "assign",
                     "pause", "resume", "acknowledge"], roles(ADV, FDS, MGR)),
    # releasing the car unpaid and writing a claim off stay the managers'
    "authorise_release": roles(MGR), "write_off": roles(MGR), "charge_customer": roles(ADV, FDS, MGR),
    "note": roles(ADV, FDS, CR, MGR),
}
WARRANTY_ACTIONS = {
    **dict.fromkeys(["request_preauth", "record_preauth_decision", "attach_evidence", "tag_part", "submit",
                     "record_decision", "resubmit", "ship_parts", "record_reimbursement", "close", "cancel",
                     "assign", "pause", "resume", "acknowledge", "note"], roles(ADV, FDS, MGR)),
    "write_off": roles(MGR),
}

MESSAGES, MESSAGES_WRITE, MESSAGE_TEMPLATES = roles(CR, ADV, FDS, MGR, ADM), roles(CR, ADV, FDS, MGR), roles(MGR, ADM)
#: the customer status link (the token is the credential) and the SMS provider's pushes (a URL secret)
CUSTOMER_LINK = {"GET /s/<token>", "POST /s/<token>/extra-work", "POST /s/<token>/documents",
                 "POST /s/<token>/callback", "POST /s/<token>/rating",
                 "POST /api/v1/messaging/hooks/<token>/aliyun/sms-up",
                 "POST /api/v1/messaging/hooks/<token>/aliyun/sms-report"}

PUBLIC = {"GET /healthz", "GET /readyz", "GET /static/<path:filename>", "GET /login", "POST /login",
          "POST /lang/<code>", "GET /api/v1/openapi.json", "POST /api/v1/auth/tokens", *CUSTOMER_LINK}

MATRIX: dict[str, R] = {
    # customer messaging (claimdesk/messaging)
    **{key: R(ALL) for key in CUSTOMER_LINK},
    "GET /api/v1/messages": R(MESSAGES),
    "GET /api/v1/customers/<int:customer_id>/contact-preference": R(MESSAGES, store=True),
    "PUT /api/v1/customers/<int:customer_id>/contact-preference": R(MESSAGES_WRITE, store=True),
    "POST /api/v1/<any('work-orders','claims','complaints'):cases>/<int:case_id>/status-link":
        R(MESSAGES_WRITE, store=True),
    "DELETE /api/v1/<any('work-orders','claims','complaints'):cases>/<int:case_id>/status-link":
        R(MESSAGES_WRITE, store=True),
    "GET /messaging/outbox": R(MESSAGES),
    "GET /messaging/cases/<case_type>/<int:case_id>": R(MESSAGES, store=True),
    "POST /messaging/cases/<case_type>/<int:case_id>/send": R(MESSAGES_WRITE, store=True),
    "POST /messaging/cases/<case_type>/<int:case_id>/links": R(MESSAGES_WRITE, store=True),
    "POST /messaging/links/<int:link_id>/revoke": R(MESSAGES_WRITE, store=True),
    "POST /messaging/messages/<int:message_id>/retry": R(MESSAGES_WRITE, store=True),
    "POST /messaging/customers/<int:customer_id>/preference": R(MESSAGES_WRITE, store=True),
    "GET /messaging/templates": R(MESSAGE_TEMPLATES),
    "GET /messaging/templates/<kind>/<locale>": R(MESSAGE_TEMPLATES),
    "POST /messaging/templates/<kind>/<locale>": R(MESSAGE_TEMPLATES),
    # public
    "GET /healthz": R(ALL), "GET /readyz": R(ALL), "GET /static/<path:filename>": R(ALL),
    "GET /login": R(ALL, ok=302, anon_ok=200),  # a logged-in user is sent on
    "POST /login": R(ALL), "POST /lang/<code>": R(ALL), "GET /api/v1/openapi.json": R(ALL),
    "POST /api/v1/auth/tokens": R(ALL, body=lambda world, role: {
        "username": world["users"].get(role, world["users"][MGR]).username, "password": "secret-pass-1"}),
    # session, home, inbox, own settings
    "POST /logout": R(ALL), "GET /": R(ALL), "GET /search": R(ALL), "GET /admin/me": R(ALL),
    "POST /admin/me": R(ALL), "GET /notifications/": R(ALL), "POST /notifications/read-all": R(ALL),
    "POST /notifications/<int:notification_id>/open": R(ALL, store=True),
    "GET /api/v1/me": R(ALL), "GET /api/v1/stores": R(ALL), "GET /api/v1/users": R(ALL),
    "DELETE /api/v1/auth/tokens/current": R(ALL), "GET /api/v1/notifications": R(ALL),
    "POST /api/v1/notifications/read-all": R(ALL),
    "POST /api/v1/notifications/<int:notification_id>/read": R(ALL, store=True),
    # administration
    # a store admin manages their own store's accounts: another store's user is a 404 (its existence does
    # not leak); new stores and group-wide accounts are for a group-wide admin (tests/auth/test_admin_scope.py)
    "GET /admin/users": R(roles(ADM)), "POST /admin/users": R(roles(ADM)),
    "POST /admin/users/<int:user_id>/active": R(roles(ADM), store=True),
    "POST /admin/users/<int:user_id>/password": R(roles(ADM), store=True),
    "GET /admin/stores": R(roles(ADM)), "POST /admin/stores": R(NOBODY, pre=roles(ADM)),
    # a store's front-desk settings: its managers and admins (another store's page is a 404)
    "GET /admin/store-settings": R(STORE_SETTINGS, ok=302),
    "GET /admin/stores/<int:store_id>/settings": R(STORE_SETTINGS, store=True),
    "POST /admin/stores/<int:store_id>/settings": R(STORE_SETTINGS, store=True),
    "POST /admin/me/sessions/end": R(ALL),  # log out everywhere (the caller's own sessions and tokens)
    # customers and vehicles
    "GET /customers/": R(CUSTOMERS_READ), "GET /customers/new": R(CUSTOMERS_WRITE),
    "POST /customers/new": R(CUSTOMERS_WRITE),
    "GET /customers/<int:customer_id>": R(CUSTOMERS_READ, store=True),
    "GET /customers/<int:customer_id>/edit": R(CUSTOMERS_WRITE, store=True),
    "POST /customers/<int:customer_id>/edit": R(CUSTOMERS_WRITE, store=True),
    "GET /customers/<int:customer_id>/vehicles/new": R(CUSTOMERS_WRITE, store=True),
    "POST /customers/<int:customer_id>/vehicles/new": R(CUSTOMERS_WRITE, store=True),
    "GET /customers/vehicles/<int:vehicle_id>": R(CUSTOMERS_READ, store=True),
    "GET /customers/vehicles/<int:vehicle_id>/edit": R(CUSTOMERS_WRITE, store=True),
    "POST /customers/vehicles/<int:vehicle_id>/edit": R(CUSTOMERS_WRITE, store=True),
    "GET /api/v1/customers": R(CUSTOMERS_READ), "POST /api/v1/customers": R(CUSTOMERS_WRITE),
    "GET /api/v1/customers/<int:customer_id>": R(CUSTOMERS_READ, store=True),
    "PATCH /api/v1/customers/<int:customer_id>": R(CUSTOMERS_WRITE, store=True),
    "GET /api/v1/vehicles": R(CUSTOMERS_READ), "POST /api/v1/vehicles": R(CUSTOMERS_WRITE),
    "GET /api/v1/vehicles/<int:vehicle_id>": R(CUSTOMERS_READ, store=True),
    "PATCH /api/v1/vehicles/<int:vehicle_id>": R(CUSTOMERS_WRITE, store=True),
    # work orders
    "GET /work-orders/": R(WO_READ), "GET /work-orders/board": R(WO_READ),
    "GET /work-orders/new": R(WO_CREATE), "POST /work-orders/new": R(WO_CREATE),
    "GET /work-orders/parts": R(WO_READ), "POST /work-orders/parts": R(PARTS_WRITE - {ADM}, pre=WO_READ),
    "GET /work-orders/<int:case_id>": R(WO_READ, store=True),
    "GET /work-orders/<int:case_id>/print": R(WO_READ, store=True),
    "POST /work-orders/<int:case_id>/photos": R(UPLOAD, store=True),
    "GET /work-orders/<int:case_id>/settlement": R(WO_READ, store=True, ok=302),  # only once ready
    "GET /api/v1/work-orders": R(WO_READ), "POST /api/v1/work-orders": R(WO_CREATE),
    "GET /api/v1/work-orders/<int:case_id>": R(WO_READ, store=True),
    "GET /api/v1/work-orders/<int:case_id>/recommendations": R(WO_READ, store=True),
    "GET /api/v1/work-orders/<int:case_id>/photos": R(WO_READ, store=True),
    "POST /api/v1/work-orders/<int:case_id>/photos": R(UPLOAD, store=True),
    "GET /api/v1/work-orders/<int:case_id>/events": R(WO_READ, store=True),
    # parts stock: admins may add parts (parts.write) but reading goes with the work orders
    "GET /api/v1/parts": R(WO_READ), "POST /api/v1/parts": R(PARTS_WRITE),
    # complaints
    "GET /complaints/": R(COMPLAINTS_READ), "GET /complaints/mine": R(COMPLAINTS_READ),
    "GET /complaints/new": R(COMPLAINTS_CREATE), "POST /complaints/new": R(COMPLAINTS_CREATE),
    "GET /complaints/<int:case_id>": R(COMPLAINTS_READ, store=True),
    "GET /complaints/<int:case_id>/report": R(COMPLAINTS_READ, store=True),
    "GET /api/v1/complaints": R(COMPLAINTS_READ), "POST /api/v1/complaints": R(COMPLAINTS_CREATE),
    "GET /api/v1/complaints/<int:complaint_id>": R(COMPLAINTS_READ, store=True),
    "GET /api/v1/complaints/<int:case_id>/events": R(COMPLAINTS_READ, store=True),
    # claims, insurers, documents
    "GET /claims/": R(CLAIMS_READ), "GET /claims/list": R(CLAIMS_READ),
    "GET /claims/waiting-documents": R(CLAIMS_READ), "GET /claims/receivables": R(CLAIMS_READ),
    "GET /claims/new": R(CLAIMS_CREATE), "POST /claims/new": R(CLAIMS_CREATE),
    "GET /claims/<int:case_id>": R(CLAIMS_READ, store=True),
    "GET /claims/<int:case_id>/documents/print": R(CLAIMS_READ, store=True),
    "POST /claims/<int:case_id>/documents": R(UPLOAD, pre=CLAIMS_READ, store=True),
    "GET /claims/insurers": R(INSURERS_READ), "GET /claims/insurers/new": R(INSURERS_WRITE),
    "POST /claims/insurers/new": R(INSURERS_WRITE),
    "GET /claims/insurers/<int:insurer_id>/edit": R(NOBODY, pre=INSURERS_EDIT),
    "POST /claims/insurers/<int:insurer_id>/edit": R(NOBODY, pre=INSURERS_EDIT),
    "GET /api/v1/claims": R(CLAIMS_READ), "POST /api/v1/claims": R(CLAIMS_CREATE),
    "GET /api/v1/claims/receivables": R(CLAIMS_READ),
    "GET /api/v1/claims/<int:claim_id>": R(CLAIMS_READ, store=True),
    "GET /api/v1/claims/<int:case_id>/events": R(CLAIMS_READ, store=True),
    "GET /api/v1/claims/<int:claim_id>/documents": R(CLAIMS_READ, store=True),
    "POST /api/v1/claims/<int:claim_id>/documents": R(UPLOAD, store=True),
    "GET /api/v1/insurers": R(INSURERS_READ), "POST /api/v1/insurers": R(INSURERS_WRITE),
    "GET /api/v1/insurers/<int:insurer_id>": R(INSURERS_READ),
    "PATCH /api/v1/insurers/<int:insurer_id>": R(NOBODY, pre=INSURERS_EDIT),
    # manufacturer warranty claims and the brands' rules
    "GET /warranty/": R(WARRANTY_READ), "GET /warranty/receivables": R(WARRANTY_READ),
    "GET /warranty/work-orders/<int:work_order_id>/new": R(WARRANTY_CREATE, store=True),
    "POST /warranty/work-orders/<int:work_order_id>/new": R(WARRANTY_CREATE, store=True),
    "GET /warranty/<int:case_id>": R(WARRANTY_READ, store=True),
    "GET /warranty/<int:case_id>/print": R(WARRANTY_READ, store=True),
    "POST /warranty/<int:case_id>/evidence": R(UPLOAD, pre=WARRANTY_READ, store=True),
    "GET /warranty/rules": R(WARRANTY_READ), "GET /warranty/rules/new": R(WARRANTY_RULES),
    "POST /warranty/rules/new": R(WARRANTY_RULES),
    "GET /warranty/rules/<int:rule_id>/edit": R(WARRANTY_RULES),
    "POST /warranty/rules/<int:rule_id>/edit": R(WARRANTY_RULES),
    "GET /api/v1/warranty-claims": R(WARRANTY_READ), "POST /api/v1/warranty-claims": R(WARRANTY_CREATE),
    "GET /api/v1/warranty-claims/receivables": R(WARRANTY_READ),
    "GET /api/v1/warranty-claims/<int:claim_id>": R(WARRANTY_READ, store=True),
    "GET /api/v1/warranty-claims/<int:case_id>/events": R(WARRANTY_READ, store=True),
    "POST /api/v1/warranty-claims/<int:claim_id>/evidence": R(UPLOAD, store=True),
    "GET /api/v1/warranty-brand-rules": R(WARRANTY_READ), "POST /api/v1/warranty-brand-rules": R(WARRANTY_RULES),
    "GET /api/v1/warranty-brand-rules/<int:rule_id>": R(WARRANTY_READ),
    "PATCH /api/v1/warranty-brand-rules/<int:rule_id>": R(WARRANTY_RULES),
    "GET /documents/<int:document_id>/content": R(CLAIMS_READ, pre=ALL, store=True),
    "GET /api/v1/documents/<int:document_id>": R(CLAIMS_READ, pre=ALL, store=True),
    "GET /api/v1/documents/<int:document_id>/content": R(CLAIMS_READ, pre=ALL, store=True),
    # SLA
    "GET /sla/timers": R(SLA_READ), "GET /sla/policies": R(SLA_ADMIN),
    "GET /sla/policies/<key>/edit": R(SLA_ADMIN), "POST /sla/policies/<key>/edit": R(SLA_ADMIN),
    # the preview page, or back to the list when there is nothing to re-baseline in the caller's scope
    "GET /sla/policies/<key>/rebaseline": R(SLA_ADMIN, ok=(200, 302)),
    "POST /sla/policies/<key>/rebaseline": R(SLA_ADMIN),
    "GET /sla/calendar": R(SLA_READ), "POST /sla/calendar": R(SLA_ADMIN),
    "POST /sla/calendar/<int:store_id>/days": R(SLA_ADMIN, store=True, anywhere=GROUP_WIDE),
    "POST /sla/calendar/<int:store_id>/statutory": R(SLA_ADMIN, store=True, anywhere=GROUP_WIDE),
    "POST /sla/calendar/<int:store_id>/days/<int:day_id>/delete": R(SLA_ADMIN, store=True, anywhere=GROUP_WIDE),
    "GET /api/v1/sla/policies": R(SLA_ADMIN), "GET /api/v1/sla/policies/<string:key>": R(SLA_ADMIN),
    "PUT /api/v1/sla/policies/<string:key>": R(SLA_ADMIN, body=lambda world, role: {"target_seconds": 7200}),
    "POST /api/v1/sla/policies/<string:key>/rebaseline": R(SLA_ADMIN),
    "GET /api/v1/sla/rebaselines": R(SLA_ADMIN), "GET /api/v1/sla/timers": R(SLA_READ),
    "GET /api/v1/sla/jobs": R(SLA_ADMIN),
    # managers' dashboard
    "GET /dashboard/": R(DASHBOARD), "GET /dashboard/report": R(DASHBOARD),
    "GET /dashboard/export/<key>.<fmt>": R(DASHBOARD), "GET /api/v1/sla/dashboard": R(DASHBOARD),
    "GET /dashboard/reconciliation": R(DASHBOARD), "GET /dashboard/reconciliation/export/<key>.<fmt>": R(DASHBOARD),
    # acknowledging from the dashboard: a case that is not escalated comes back with a message (302)
    "POST /dashboard/acknowledge": R(DASHBOARD, store=True, ok=302, body=lambda world, role, where="own": {
        "case_type": "work_order", "case_id": world[where].work_order.id}),
    "GET /api/v1/sla/calendars/<int:store_id>": R(SLA_READ, store=True, anywhere=GROUP_WIDE),
    "PUT /api/v1/sla/calendars/<int:store_id>": R(SLA_ADMIN, pre=ALL, store=True, anywhere=GROUP_WIDE),
    "POST /api/v1/sla/calendars/<int:store_id>/days": R(SLA_ADMIN, pre=ALL, store=True, anywhere=GROUP_WIDE),
    "DELETE /api/v1/sla/calendars/<int:store_id>/days/<int:day_id>": R(SLA_ADMIN, pre=ALL, store=True,
                                                                         anywhere=GROUP_WIDE),
    # appointments (claimdesk/appointments)
    "GET /appointments/": R(DIARY_READ), "GET /appointments/new": R(BOOK), "POST /appointments/new": R(BOOK),
    "POST /appointments/<int:appointment_id>/<any(cancel, no_show):verb>": R(BOOK, store=True),
    "GET /appointments/<int:appointment_id>/receive": R(WO_CREATE, store=True),
    "POST /appointments/<int:appointment_id>/receive": R(WO_CREATE, store=True),
    "GET /appointments/settings": R(DIARY_SETTINGS), "POST /appointments/settings": R(DIARY_SETTINGS),
    "GET /api/v1/appointments": R(DIARY_READ), "POST /api/v1/appointments": R(BOOK),
    "GET /api/v1/appointments/<int:appointment_id>": R(DIARY_READ, store=True),
    "POST /api/v1/appointments/<int:appointment_id>/cancel": R(BOOK, store=True),
    "POST /api/v1/appointments/<int:appointment_id>/no-show": R(BOOK, store=True),
    "POST /api/v1/appointments/<int:appointment_id>/arrive": R(WO_CREATE, store=True),
    # service reminders and campaigns (claimdesk/reminders)
    "GET /reminders/": R(REMINDERS_READ),
    "POST /reminders/<int:reminder_id>/outcome": R(REMINDERS_WORK, store=True),
    "GET /reminders/<int:reminder_id>/book": R(REMINDERS_WORK, store=True),
    "POST /reminders/<int:reminder_id>/book": R(REMINDERS_WORK, store=True),
    "GET /reminders/vehicle/<int:vehicle_id>/book": R(REMINDERS_WORK, store=True),
    "POST /reminders/vehicle/<int:vehicle_id>/book": R(REMINDERS_WORK, store=True),
    "GET /reminders/campaigns": R(REMINDERS_READ),
    "GET /reminders/campaigns/new": R(CAMPAIGNS), "POST /reminders/campaigns/new": R(CAMPAIGNS),
    "GET /reminders/campaigns/<int:campaign_id>": R(REMINDERS_READ, store=True),
    "POST /reminders/campaigns/contacts/<int:contact_id>/outcome": R(REMINDERS_WORK, store=True),
    "GET /reminders/campaigns/contacts/<int:contact_id>/book": R(REMINDERS_WORK, store=True),
    "POST /reminders/campaigns/contacts/<int:contact_id>/book": R(REMINDERS_WORK, store=True),
    "GET /api/v1/reminders": R(REMINDERS_READ),
    "GET /api/v1/reminders/<int:reminder_id>": R(REMINDERS_READ, store=True),
    "POST /api/v1/reminders/<int:reminder_id>/outcome": R(REMINDERS_WORK, store=True),
    "POST /api/v1/reminders/<int:reminder_id>/book": R(REMINDERS_WORK, store=True),
    "POST /api/v1/reminders/vehicles/<int:vehicle_id>/book": R(REMINDERS_WORK, store=True),
    "GET /api/v1/campaigns": R(REMINDERS_READ), "POST /api/v1/campaigns": R(CAMPAIGNS),
    "GET /api/v1/campaigns/<int:campaign_id>": R(REMINDERS_READ, store=True),
    "GET /api/v1/campaigns/<int:campaign_id>/contacts": R(REMINDERS_READ, store=True),
    "POST /api/v1/campaigns/contacts/<int:contact_id>/outcome": R(REMINDERS_WORK, store=True),
    "POST /api/v1/campaigns/contacts/<int:contact_id>/book": R(REMINDERS_WORK, store=True),
    # the 三包 ledger (claimdesk/sanbao): read with the work orders, confirmed by advisors, rule sets by managers
    "GET /api/v1/vehicles/<int:vehicle_id>/sanbao": R(WO_READ, store=True),
    "PUT /api/v1/work-orders/<int:case_id>/sanbao": R(WO_CREATE, store=True),
    "GET /api/v1/sanbao/rule-sets": R(WO_READ),
    # the group's rule set (every store's): a group-wide account only; the matrix's users all belong to one store,
    # so each is refused; a store manager copies it for the store instead (tests/sanbao/test_api_pages.py)
    "PATCH /api/v1/sanbao/rule-sets/<int:rule_set_id>": R(NOBODY, pre=SANBAO_RULES),
    "POST /api/v1/sanbao/rule-sets/<int:rule_set_id>/copy": R(SANBAO_RULES),
    "POST /sanbao/rule-sets/<int:rule_set_id>/copy": R(SANBAO_RULES),
    "GET /sanbao/vehicles/<int:vehicle_id>": R(WO_READ, store=True),
    "POST /sanbao/work-orders/<int:case_id>/episode": R(WO_CREATE, store=True),
    "GET /sanbao/at-risk": R(WO_READ),
    "GET /sanbao/rule-sets": R(WO_READ | SANBAO_RULES),
    "POST /sanbao/rule-sets": R(NOBODY, pre=SANBAO_RULES, body=lambda world, role, where="own": {
        "id": _rule_set_id(), "warn_repair_days": "20"}),
}
for _path, _html, _read, _actions in (
        ("work-orders", "/work-orders/<int:case_id>/act/<action>", WO_READ, WO_ACTIONS),
        ("complaints", "/complaints/<int:case_id>/actions/<action>", COMPLAINTS_READ, COMPLAINT_ACTIONS),
        ("claims", "/claims/<int:case_id>/actions/<action>", CLAIMS_READ, CLAIM_ACTIONS),
        ("warranty-claims", "/warranty/<int:case_id>/actions/<action>", WARRANTY_READ, WARRANTY_ACTIONS)):
    for _name, _who in _actions.items():
        MATRIX[f"POST /api/v1/{_path}/<int:case_id>/actions/{_name}"] = R(_who, pre=_read, store=True)
        MATRIX[f"POST {_html}#{_name}"] = R(_who, pre=_read, store=True, refusal="flash")


def url_rules(app) -> dict[str, object]:
    """'METHOD rule' -> werkzeug Rule, for every route and method (HEAD/OPTIONS are Flask's own)."""
    out = {}
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out[f"{method} {rule.rule}"] = rule
    return out


def test_every_route_has_an_entry(app):
    keys = set(url_rules(app))
    declared = {k.split("#")[0] for k in MATRIX}
    missing = sorted(keys - declared)
    assert not missing, f"routes without a permission-matrix entry (add them to MATRIX): {missing}"
    stale = sorted(declared - keys)
    assert not stale, f"MATRIX entries for routes that do not exist: {stale}"
    # every action of every workflow is in the table, no more
    from claimdesk.core.workflow import REGISTRY

    for case_type, actions in (("work_order", WO_ACTIONS), ("complaint", COMPLAINT_ACTIONS),
                               ("claim", CLAIM_ACTIONS), ("warranty", WARRANTY_ACTIONS)):
        assert set(REGISTRY[case_type].actions) == set(actions), case_type


# --- the world the matrix runs in -----------------------------------------------------------------------
# Built once per module and really committed (like tests/fuzz); every test still runs in the usual
# rolled-back transaction, so whatever a permitted caller changes is undone before the next route.
from types import SimpleNamespace as Ref


def _ref(obj, *attrs):
    return Ref(id=obj.id, model=type(obj), **{a: getattr(obj, a) for a in attrs})


@dataclass
class Side:
    store: Ref
    customer: Ref
    vehicle: Ref
    work_order: Ref
    complaint: Ref
    claim: Ref
    document: Ref
    warranty: Ref
    appointment: Ref
    reminder: Ref
    campaign: Ref
    contact: Ref


def _diary_side(store, advisor, manager, vehicle):
    """A booked appointment (the day after tomorrow, 10:00), a service reminder and a recall with one contact."""
    from datetime import datetime, time, timedelta

    from claimdesk.appointments import services as diary
    from claimdesk.reminders import campaigns
    from claimdesk.reminders import services as reminders

    vehicle.next_service_date = diary.local_today(store) + timedelta(days=5)
    day = diary.local_today(store) + timedelta(days=2)
    appt = diary.book(advisor, {"customer_id": vehicle.customer_id, "vehicle_id": vehicle.id,
                                "starts_at": datetime.combine(day, time(10), tzinfo=diary.tz_of(store)).isoformat()})
    reminder = reminders.reminder_for(reminders.due_of_vehicle(vehicle))
    campaign, _unknown = campaigns.create_campaign(manager, {
        "kind": "recall", "title": "Matrix recall", "vins": vehicle.vin, "starts_on": day.isoformat(),
        "ends_on": day.isoformat()})
    return _ref(appt), _ref(reminder), _ref(campaign), _ref(campaign.contacts[0])


def _side(store, advisor, manager):
    from werkzeug.datastructures import FileStorage

    from claimdesk.core import uow
    from claimdesk.documents import services as documents
    from claimdesk.workorders.services import open_work_order
    from tests.claims.factories import PNG, InsurerFactory, new_claim
    from tests.complaints.factories import open_complaint
    from tests.factories import CustomerFactory, VehicleFactory

    customer = CustomerFactory(store=store)
    vehicle = VehicleFactory(customer=customer)
    wo = open_work_order(advisor, {"customer_id": customer.id, "vehicle_id": vehicle.id, "mileage_km": 21000,
                                   "customer_description": "Squeak when braking"})
    complaint = open_complaint(advisor, customer, vehicle=vehicle, severity="medium")
    claim = new_claim(advisor, store, InsurerFactory(), customer=customer, vehicle=vehicle)
    doc = documents.save_upload(advisor, claim, "policy", FileStorage(io.BytesIO(PNG), filename="p.png"))
    diary = _diary_side(store, advisor, manager, vehicle)
    from tests.warranty.factories import open_claim as open_warranty_claim
    from tests.warranty.factories import warranty_work_order

    warranty = open_warranty_claim(advisor, warranty_work_order(advisor, store))
    uow.commit()
    return Side(_ref(store), _ref(customer), _ref(vehicle), _ref(wo), _ref(complaint),
                _ref(claim, "insurer_id"), _ref(doc), _ref(warranty), *diary)


def build_world(app) -> dict:
    from claimdesk.core import uow
    from claimdesk.extensions import db
    from claimdesk.notifications.models import Notification
    from tests.factories import StoreFactory, UserFactory

    with app.app_context():
        store, other_store = StoreFactory(code="M01"), StoreFactory(code="M02")
        users = {role: UserFactory(role=role, username=f"m_{role}", store=store) for role in ROLES}
        other_users = {role: UserFactory(role=role, username=f"o_{role}", store=other_store)
                       for role in (ADV, MGR)}
        from tests.warranty.factories import brand_rule

        rule = brand_rule("MatrixMotors")
        own, other = (_side(store, users[ADV], users[MGR]),
                      _side(other_store, other_users[ADV], other_users[MGR]))
        notices = {}
        for user in [*users.values(), other_users[MGR]]:
            n = Notification(user_id=user.id, kind="sla_warning", dedupe_key=f"matrix:{user.id}", data={})
            db.session.add(n)
            db.session.flush()
            notices[user.id] = n.id
        spare = {"own": UserFactory(role=ADV, username="m_spare", store=store),
                 "other": UserFactory(role=ADV, username="o_spare", store=other_store)}
        uow.commit()
        return {"users": {r: _ref(u, "username") for r, u in users.items()}, "own": own, "other": other,
                "notices": notices, "spare": {k: _ref(u) for k, u in spare.items()},
                "other_manager": _ref(other_users[MGR]), "brand_rule": _ref(rule)}


@pytest.fixture(scope="module")
def world(app):
    from tests.conftest import truncate_all

    try:
        yield build_world(app)
    finally:
        truncate_all(app)


def _new_day(store_id: int) -> int:
    from datetime import date

    from claimdesk.auth.models import Store
    from claimdesk.core import uow
    from claimdesk.extensions import db
    from claimdesk.sla import policies

    row = policies.calendar_for_edit(db.session.get(Store, store_id), None)
    taken = {d.day for d in row.days}
    day = next(date(2031, 1, n) for n in range(1, 29) if date(2031, 1, n) not in taken)
    new_id = policies.add_days(row, day, None, "holiday", "Matrix")[0].id
    uow.commit()
    return new_id


def _is_warranty(rule: str) -> bool:
    path = rule.split("#")[0]
    return "/warranty/" in path or "/warranty-claims" in path


def _case_for(rule: str, side: Side):
    if _is_warranty(rule):
        return side.warranty
    if "work-orders" in rule:
        return side.work_order
    if "complaints" in rule:
        return side.complaint
    return side.claim


def fill(rule_key: str, rule, world, role: str, where: str) -> str:
    """The URL of `rule` with ids of `where` ("own" or "other") as seen by `role`."""
    side = world[where]
    action = rule_key.split("#")[1] if "#" in rule_key else None
    values = {}
    for arg in rule.arguments:
        if arg == "case_id":
            values[arg] = _case_for(rule.rule, side).id
        elif arg == "complaint_id":
            values[arg] = side.complaint.id
        elif arg == "claim_id":
            values[arg] = side.warranty.id if _is_warranty(rule.rule) else side.claim.id
        elif arg == "work_order_id":
            values[arg] = side.work_order.id
        elif arg == "rule_id":
            values[arg] = world["brand_rule"].id
        elif arg == "customer_id":
            values[arg] = side.customer.id
        elif arg == "vehicle_id":
            values[arg] = side.vehicle.id
        elif arg == "document_id":
            values[arg] = side.document.id
        elif arg == "insurer_id":
            values[arg] = side.claim.insurer_id
        elif arg == "store_id":
            values[arg] = side.store.id
        elif arg == "day_id":
            values[arg] = _new_day(side.store.id)  # a fresh one each time: a permitted caller deletes it
        elif arg == "rule_set_id":
            values[arg] = _rule_set_id()
        elif arg == "user_id":
            values[arg] = world["spare"][where].id
        elif arg == "notification_id":
            me = world["users"][role].id if role in world["users"] else world["users"][MGR].id
            values[arg] = world["notices"][me] if where == "own" else world["notices"][world["other_manager"].id]
        elif arg == "key":
            values[arg] = ("reconciliation_goodwill" if "/reconciliation/" in rule.rule
                           else "backlog" if "/dashboard/" in rule.rule else "complaint.first_response")
        elif arg == "fmt":
            values[arg] = "csv"
        elif arg == "code":
            values[arg] = "en"  # the shared clients must stay in English for the refusal check
        elif arg == "filename":
            values[arg] = "css/app.css"
        elif arg == "action":
            values[arg] = action
        elif arg in ("appointment_id", "reminder_id", "campaign_id", "contact_id"):
            values[arg] = getattr(side, arg.removesuffix("_id")).id
        elif arg == "verb":
            values[arg] = "cancel"
        elif arg in ("token", "link_id", "message_id", "case_type", "cases", "kind", "locale"):
            values[arg] = _messaging_arg(arg, rule.rule, side)
        else:
            raise AssertionError(f"the matrix does not know how to fill <{arg}> of {rule.rule}")
    url = rule.rule
    for arg, value in values.items():
        url = __import__("re").sub(rf"<(?:[^:<>]+:)?{arg}>", str(value), url)
    return url


def _rule_set_id() -> int:
    """The group's current 三包 rule set (seeded on first use; group-wide, not a store's record)."""
    from datetime import date

    from claimdesk.core import uow
    from claimdesk.sanbao.rules import rule_set_for

    rs = rule_set_for(date(2024, 1, 1), None)
    uow.commit()
    return rs.id


def _messaging_arg(arg: str, rule: str, side: Side):
    """Status links, messages and the SMS hooks' secret made on demand (in the test's transaction)."""
    from flask import current_app

    from claimdesk.core import uow
    from claimdesk.extensions import db
    from claimdesk.messaging import services

    if arg == "token" and "/hooks/" in rule:
        current_app.config["MESSAGING_HOOK_TOKEN"] = current_app.config.get("MESSAGING_HOOK_TOKEN") or "matrix-hook"
        return current_app.config["MESSAGING_HOOK_TOKEN"]
    ref = side.claim if ("/documents" in rule or "case_type" in rule or arg in ("link_id", "message_id")) \
        else side.work_order
    case = db.session.get(ref.model, ref.id)
    value = None
    if arg in ("token", "link_id"):
        link = services.link_for(case)
        value = link.token if arg == "token" else link.id
    elif arg == "message_id":
        value = (services.queue_message(case, "car_ready", {}, dedupe="matrix") or services.messages_of(case)[-1]).id
    if value is not None:
        uow.commit()  # a refused request rolls back; the row it names must still be there
        return value
    return {"case_type": "claim", "cases": "work-orders", "kind": "car_ready", "locale": "zh"}[arg]


def _ids(world, where):
    side = world[where]
    return {"customer_id": side.customer.id, "vehicle_id": side.vehicle.id, "work_order_id": side.work_order.id,
            "insurer_id": side.claim.insurer_id, "assignee_id": world["users"][ADV].id,
            "store_id": side.store.id, "kind": "policy"}


def call(app, clients, tokens, rule_key, rule, world, role, where):
    method, _rule = rule_key.split("#")[0].split(" ", 1)
    url = fill(rule_key, rule, world, role, where)
    api = url.startswith("/api/")
    kw = {}
    if api and method in ("POST", "PUT", "PATCH"):
        schemas = request_schemas(app, rule.endpoint, method)
        ids = _ids(world, "own")
        body, form, files = {}, {}, {}
        for location, schema in schemas:
            if location == "json":
                body = sample(schema, ids)
            elif location == "form":
                form = sample(schema, ids)
            elif location == "files":
                from tests.claims.factories import PNG

                files = {name: (io.BytesIO(PNG), "scan.png") for name in sample(schema, ids)}
        if form or files:
            kw = {"data": {**form, **files}, "content_type": "multipart/form-data"}
        else:
            kw = {"json": MATRIX[rule_key].body(world, role) if MATRIX[rule_key].body else body}
    elif not api and method == "POST" and MATRIX[rule_key].body:
        kw = {"data": MATRIX[rule_key].body(world, role, where)}
    headers = {}
    client = clients.get(role)
    if api and role in tokens:
        headers["Authorization"] = f"Bearer {tokens[role]}"
    if client is None:
        client = app.test_client()
    if role in tokens and (rule.rule.endswith("/logout") or rule.rule.endswith("/tokens/current")
                           or rule.rule.endswith("/sessions/end")):
        client = clients["fresh"](role)  # do not log the shared client out
        if api:
            headers["Authorization"] = f"Bearer {clients['token'](role)}"
    # ("log out everywhere" ends the shared client's session and token too, but only until the test's
    # transaction is rolled back, and each role calls it once)
    return getattr(client, method.lower())(url, headers=headers, **kw), url


@pytest.fixture(scope="module")
def sessions(app, world):
    from claimdesk.auth import services
    from claimdesk.core import uow

    def login(role):
        c = app.test_client()
        resp = c.post("/login", data={"username": world["users"][role].username, "password": "secret-pass-1"})
        assert resp.status_code == 302
        return c

    def token(role):
        from claimdesk.auth.models import User
        from claimdesk.extensions import db

        t, _row = services.issue_token(db.session.get(User, world["users"][role].id))
        uow.commit()
        return t

    clients = {role: login(role) for role in ROLES}
    clients["fresh"] = login
    clients["token"] = token
    with app.app_context():
        tokens = {role: token(role) for role in ROLES}
    return clients, tokens


def expected(entry: R, role: str | None, where: str, rule_key: str) -> str:
    method, path = rule_key.split("#")[0].split(" ", 1)
    key = rule_key.split("#")[0]
    if role is None:
        if key in PUBLIC:
            return "pass"
        return "401" if path.startswith("/api/") else "login"
    if key in PUBLIC and role in entry.who:
        return "pass"
    if role not in entry.before:
        return "403"
    if entry.store and where == "other" and role not in entry.anywhere:
        return "404"
    if role in entry.who:
        return "pass"
    return entry.refusal


def _version(world, rule_key, where):
    if "#" not in rule_key:
        return None
    case = _case_for(rule_key, world[where])
    from claimdesk.extensions import db

    return db.session.execute(sa.select(case.model.version).where(case.model.id == case.id)).scalar_one()


ROLE_REFUSAL = "Your role may not do this"


def _pop_flashes(client) -> list[str]:
    with client.session_transaction() as sess:
        return [message for _category, message in sess.pop("_flashes", [])]


def check(app, sessions, world, rule_key, rule):
    clients, tokens = sessions
    entry = MATRIX[rule_key]
    method = rule_key.split(" ", 1)[0]
    problems = []
    wheres = ("own", "other") if entry.store else ("own",)
    for role in (*ROLES, None):
        for where in wheres:
            if role is None and where == "other":
                continue
            want = expected(entry, role, where, rule_key)
            before = _version(world, rule_key, where)
            resp, url = call(app, clients if role else {}, tokens if role else {}, rule_key, rule, world,
                             role or "anonymous", where)
            got = resp.status_code
            refused_by_role = role is not None and "#" in rule_key and any(
                ROLE_REFUSAL in message for message in _pop_flashes(clients[role]))
            if "#" in rule_key and want == "pass" and refused_by_role:
                problems.append(f"{role} @ {where}: {method} {url} was refused for the role, expected pass")
                continue
            if want == "flash" and not refused_by_role:
                problems.append(f"{role} @ {where}: {method} {url}: no 'role may not' message, expected a refusal "
                                f"({got} {resp.get_data(as_text=True)[:300]!r})")
                continue
            if want == "pass":
                ok = entry.anon_ok if role is None and entry.anon_ok else entry.ok
                good = (got in (ok if isinstance(ok, tuple) else (ok,))) if method == "GET" else (got not in (401, 403, 404) and got < 500)
            elif want == "login":
                good = got == 302 and "/login" in resp.headers.get("Location", "")
            elif want == "flash":
                good = got == 302 and _version(world, rule_key, where) == before
            else:
                good = got == int(want)
            if not good:
                problems.append(f"{role or 'anonymous'} @ {where}: {method} {url} -> {got}, expected {want} "
                                f"{resp.get_data(as_text=True)[:160]!r}")
    assert not problems, "\n".join(problems)


def _keys():
    return sorted(MATRIX)


@pytest.mark.parametrize("rule_key", _keys())
def test_route_permissions(app, sessions, world, rule_key):
    rules = url_rules(app)
    rule = rules[rule_key.split("#")[0]]
    check(app, sessions, world, rule_key, rule)
