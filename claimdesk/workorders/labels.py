"""The words staff see for the work-order vocabulary (pay types, decisions, stages, panels …), translated."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.workflow import PAUSE_LABELS  # noqa: F401  (one home; the page's L.pauses)

PAY_TYPE_LABELS = {"customer": _l("Customer"), "warranty": _l("Warranty"), "insurance": _l("Insurance"),
                   "internal": _l("Internal")}
DECISION_LABELS = {"proposed": _l("Proposed"), "approved": _l("Approved"), "declined": _l("Declined"),
                   "deferred": _l("Deferred")}
KIND_LABELS = {"labour": _l("Labour"), "part": _l("Part")}
WARRANTY_LABELS = {"covered": _l("Warranty covered"), "not_covered": _l("Not covered"),
                   "pending": _l("Pending manufacturer approval")}
STAGE_LABELS = {"self": _l("Technician self-check"), "team_lead": _l("Team-leader check"), "final": _l("Final QC")}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
CHANNEL_LABELS = {"in_person": _l("In person"), "phone": _l("Phone"), "wechat": _l("WeChat"), "sms": _l("SMS"),
                  "email": _l("E-mail"), "link": _l("Status link (by the customer)")}
PAYMENT_LABELS = {"cash": _l("Cash"), "bank_card": _l("Bank card"), "wechat_pay": _l("WeChat Pay"),
                  "alipay": _l("Alipay"), "bank_transfer": _l("Bank transfer"),
                  "company_account": _l("Company account"), "split": _l("Split across methods")}
OLD_PARTS_LABELS = {"customer_takes": _l("Customer takes the old parts"),
                    "dealer_disposes": _l("Dealer disposes of the old parts")}
OUTCOME_LABELS = {"reached": _l("Customer reached"), "no_answer": _l("No answer"),
                  "call_back_later": _l("Call back later")}
PANELS = [("front_bumper", _l("Front bumper")), ("bonnet", _l("Bonnet")), ("windscreen", _l("Windscreen")),
          ("roof", _l("Roof")), ("left_front_wing", _l("Left front wing")), ("left_front_door", _l("Left front door")),
          ("left_rear_door", _l("Left rear door")), ("left_rear_wing", _l("Left rear wing")),
          ("right_front_wing", _l("Right front wing")), ("right_front_door", _l("Right front door")),
          ("right_rear_door", _l("Right rear door")), ("right_rear_wing", _l("Right rear wing")),
          ("boot", _l("Boot lid")), ("rear_bumper", _l("Rear bumper")), ("wheels", _l("Wheels and tyres")),
          ("mirrors", _l("Mirrors")), ("interior", _l("Interior"))]
DAMAGE_KINDS = [("scratch", _l("Scratch")), ("dent", _l("Dent")), ("crack", _l("Crack")), ("chip", _l("Chip")),
                ("missing", _l("Missing part")), ("other", _l("Other"))]
CHECK_ITEM_LABELS = {
    "all approved items done": _l("All approved items done"),
    "fault no longer present": _l("Fault no longer present"),
    "parts fitted and tightened to spec": _l("Parts fitted and tightened to spec"),
    "no leaks or warning lights": _l("No leaks or warning lights"),
    "tools and covers removed": _l("Tools and covers removed"),
    "work matches the work order": _l("Work matches the work order"),
    "workmanship": _l("Workmanship"),
    "road test if needed": _l("Road test if needed"),
    "recommendations recorded": _l("Recommendations recorded"),
    "every approved line done": _l("Every approved line done"),
    "fault confirmed gone": _l("Fault confirmed gone"),
    "safety items checked": _l("Safety items checked"),
    "old parts kept as agreed": _l("Old parts kept as agreed"),
    "interior and exterior clean": _l("Interior and exterior clean"),
    "nothing left inside": _l("Nothing left inside"),
}
ROLE_LABELS = {"advisor": _l("the service advisor"), "workshop": _l("the workshop"),
               "customer_relations": _l("customer relations"), "qc_inspector": _l("the QC inspector"),
               "info_clerk": _l("the information clerk"), "front_desk_supervisor": _l("the front-desk supervisor")}
#: the timeline's words for this domain's own event fields (registered with core.timeline in init_app)
FIELD_LABELS = {
    "not_satisfied": _l("Not satisfied"), "not_satisfied_reason": _l("Why not satisfied"),
    "booklet_checked": _l("Maintenance booklet checked"), "car_clean": _l("Car clean"),
    "covers_fitted": _l("Protective covers fitted"), "decisions": _l("Decisions"),
    "declined": _l("Declined"), "declined_signoff": _l("Declined items signed off"),
    "deferred": _l("Deferred"), "free_wash": _l("Free car wash"), "fuel_level": _l("Fuel level"),
    "licence_checked": _l("Vehicle licence checked"), "nothing_left_inside": _l("Nothing left inside"),
    "old_parts": _l("Old parts"), "old_parts_handled": _l("Old parts handled"),
    "payment_method": _l("Payment method"), "pickup_at": _l("Pickup time"), "priority": _l("Priority"),
    "removed_lines": _l("Lines removed"), "rework_count": _l("Reworks"),
    "signature_channel": _l("Signed via"), "technician_name": _l("Technician"), "warranty": _l("Warranty"),
    "part_number": _l("Part no."), "operation_code": _l("Operation"),
    "safety_related": _l("Safety-related"), "done_lines": _l("Lines done"),
    "signature_image": _l("Signature"),
    "previous_promised_at": _l("Previously promised"), "late": _l("Already late"),
    "agreed_by": _l("Agreed by"),
    "spare_tyre_present": _l("Spare tyre present"), "tool_kit_present": _l("Tool kit present"),
    "key_tag": _l("Key tag"), "parking_spot": _l("Parking spot"),
    "spare_tyre_returned": _l("Spare tyre back in the car"), "tool_kit_returned": _l("Tool kit back in the car"),
}
