"""The words of the 三包 ledger (English in code, Chinese in the catalogue)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SYSTEM_LABELS = {
    "engine": _l("Engine"), "transmission": _l("Transmission"), "traction_battery": _l("Traction battery"),
    "drive_motor": _l("Drive motor"), "steering": _l("Steering system"), "brakes": _l("Brake system"),
    "suspension": _l("Suspension system"), "drivetrain": _l("Drivetrain"), "axles": _l("Front / rear axle"),
    "emission_control": _l("Emission control"), "body": _l("Body"), "electrical": _l("Electrical"),
    "air_conditioning": _l("Air conditioning"), "other": _l("Other"),
}
REPLACEMENT_LABELS = {"none": _l("No main component replaced"), "assembly": _l("Whole unit replaced"),
                      "component": _l("Main component replaced")}
CONDITION_LABELS = {
    "repair_days": _l("Cumulative repair days"),
    "same_problem": _l("Repairs of the same quality problem"),
    "safety": _l("Repairs of serious safety faults"),
    "assembly": _l("Replacements of the whole unit"),
    "component": _l("Replacements of the same main component"),
    "substitute": _l("Days of this repair (substitute car)"),
}
LEVEL_LABELS = {"warning": _l("Warning"), "reached": _l("At the limit"), "exceeded": _l("Limit passed")}
ENDED_LABELS = {"time": _l("ended by time"), "mileage": _l("ended by mileage")}
#: what the store must do (docs/sanbao.md), per condition and level
ACTIONS = {
    ("substitute", "warning"): _l("Tell the customer the expected completion; prepare a substitute car."),
    ("substitute", "reached"): _l("From tomorrow a substitute car or a transport allowance is owed."),
    ("substitute", "exceeded"): _l("Provide a substitute car or pay a reasonable transport allowance now."),
    ("repair_days", "warning"): _l("Review the open repairs with the workshop and the maker; avoid more days."),
    ("repair_days", "reached"): _l("One more repair day gives the customer the right to a replacement or refund."),
    ("repair_days", "exceeded"): _l("The customer may demand a replacement or refund: inform the maker and "
                                    "the general manager."),
    ("same_problem", "warning"): _l("Involve the maker's technical support before the next repair."),
    ("same_problem", "reached"): _l("One more repair of this problem gives the right to a replacement or refund."),
    ("same_problem", "exceeded"): _l("The customer may demand a replacement or refund: inform the maker and "
                                     "the general manager."),
    ("safety", "warning"): _l("A serious safety fault was repaired: make sure the fix holds."),
    ("safety", "reached"): _l("If the fault comes back or a new serious one appears, the customer may demand "
                              "a replacement or refund."),
    ("assembly", "warning"): _l("A whole unit was replaced: check the new one with the maker."),
    ("assembly", "reached"): _l("If the unit fails again, the customer may demand a replacement or refund."),
    ("component", "warning"): _l("A main component was replaced: check the fix with the maker."),
    ("component", "reached"): _l("If the component fails again, the customer may demand a replacement or refund."),
}


def action_text(condition: str, level: str | None) -> str:
    text = ACTIONS.get((condition, level))
    return str(text) if text else ""
