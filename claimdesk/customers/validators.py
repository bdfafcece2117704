"""VIN, Chinese plate and phone rules, as pure functions that normalise or raise ValueError."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

_VIN_CHARS = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_TRANSLIT = {**{str(d): d for d in range(10)},
             **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
             **dict(zip("STUVWXYZ", range(2, 10)))}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Check digit required: China (GB 16735, WMI starting with L) and North America (1-5).
_CHECKED_REGIONS = set("L12345")

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
# Regular: 京A12345 (5 alnum, letters without I/O); new energy: 京AD12345 / 京A12345D (6).
_PLATE_REGULAR = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z][A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳领试超]$")
_PLATE_NEV = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z]([DF][A-HJ-NP-Z0-9][0-9]{{4}}|[0-9]{{5}}[DF])$")
_PLATE_EMBASSY = re.compile(r"^(使[0-9]{6}|[0-9]{3}[0-9]{3}使|[A-Z0-9]{4,5}领)$")

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_LANDLINE = re.compile(r"^0[1-9][0-9]{1,2}-?[1-9][0-9]{6,7}(-[0-9]{1,5})?$")
_SERVICE = re.compile(r"^(400|800)-?[0-9]{3}-?[0-9]{4}$")


def vin_check_digit(vin: str) -> str:
    total = sum(_TRANSLIT[c] * w for c, w in zip(vin, _WEIGHTS))
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def normalise_vin(raw: str) -> str:
    vin = re.sub(r"[\s-]", "", raw or "").upper()
    if len(vin) != 17:
        raise ValueError(_l("A VIN has exactly 17 characters."))
    if re.search(r"[IOQ]", vin):
        raise ValueError(_l("A VIN never contains the letters I, O or Q."))
    if not _VIN_CHARS.match(vin):
        raise ValueError(_l("A VIN has only letters and digits."))
    if vin[0] in _CHECKED_REGIONS and vin[8] != vin_check_digit(vin):
        raise ValueError(_l("The check digit (9th character) should be %(digit)s; please re-read the VIN.",
                            digit=vin_check_digit(vin)))
    return vin


def normalise_plate(raw: str) -> str:
    plate = re.sub(r"[\s·•.\-]", "", raw or "").upper()
    if not plate:
        raise ValueError(_l("The plate number is empty."))
    if _PLATE_REGULAR.match(plate) or _PLATE_NEV.match(plate) or _PLATE_EMBASSY.match(plate):
        return plate
    if plate[0] not in PROVINCES and not plate.startswith("使"):
        raise ValueError(_l("A plate starts with a province abbreviation such as 京 or 粤."))
    raise ValueError(_l("Not a valid Chinese plate number (e.g. 粤B12345, or 粤BD12345 for a new-energy car)."))


def normalise_phone(raw: str) -> str:
    phone = re.sub(r"[\s()]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    digits = phone.replace("-", "")
    if _MOBILE.match(digits):
        return digits
    if _LANDLINE.match(phone) or _SERVICE.match(phone):
        return phone
    raise ValueError(_l("Not a valid phone number (an 11-digit mobile such as 13812345678, or a landline "
                        "with area code such as 020-12345678)."))


def looks_like(query: str) -> str:
    """Guess what a search box query is: number, phone, plate, vin or name."""
    q = query.strip().upper()
    if re.match(r"^(WO|CP|CL|WC)-\d{4}-\d+$", q):
        return "number"
    if re.fullmatch(r"[+\d\s-]{4,}", q):
        return "phone"
    if q and q[0] in PROVINCES:
        return "plate"
    if re.fullmatch(r"[A-HJ-NPR-Z0-9]{17}", q):
        return "vin"
    return "name"
