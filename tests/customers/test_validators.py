import pytest

from claimdesk.customers import validators as v


@pytest.mark.parametrize("vin", ["LSVAA2180E2123456", "LSVAA218XE2123456", "WVWZZZ1JZXW000001"])
def test_vin_rules(vin):
    if vin.startswith("L"):
        good = vin[:8] + v.vin_check_digit(vin) + vin[9:]
        assert v.normalise_vin(good.lower()) == good
        bad_digit = "0" if good[8] != "0" else "1"
        with pytest.raises(ValueError, match="check digit"):
            v.normalise_vin(good[:8] + bad_digit + good[9:])
    else:  # European VINs carry no mandatory check digit
        assert v.normalise_vin(vin) == vin


def test_known_north_american_vin_check_digit():
    assert v.vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert v.normalise_vin("1M8GDM9AXKP042788") == "1M8GDM9AXKP042788"


@pytest.mark.parametrize("bad, why", [("LSVAA2180E212345", "17"), ("LSVAA2180E21234I6", "I, O or Q"),
                                      ("LSVAA2180E2123O56", "I, O or Q"), ("LSVAA2180E21234#6", "letters")])
def test_bad_vins(bad, why):
    with pytest.raises(ValueError, match=why):
        v.normalise_vin(bad)


@pytest.mark.parametrize("plate, norm", [("粤B12345", "粤B12345"), ("粤b·12345", "粤B12345"), ("京AD12345", "京AD12345"),
                                         ("沪A12345F", "沪A12345F"), ("川A1234学", "川A1234学")])
def test_good_plates(plate, norm):
    assert v.normalise_plate(plate) == norm


@pytest.mark.parametrize("plate", ["B12345", "粤B1234", "粤BI2345", "XX12345", "粤B1234567", ""])
def test_bad_plates(plate):
    with pytest.raises(ValueError):
        v.normalise_plate(plate)


@pytest.mark.parametrize("phone, norm", [("13812345678", "13812345678"), ("+86 138 1234 5678", "13812345678"),
                                         ("020-12345678", "020-12345678"), ("400-123-4567", "400-123-4567")])
def test_good_phones(phone, norm):
    assert v.normalise_phone(phone) == norm


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "abc", "", "10086"])
def test_bad_phones(phone):
    with pytest.raises(ValueError):
        v.normalise_phone(phone)


@pytest.mark.parametrize("q, kind", [("WO-2026-000123", "number"), ("1381234", "phone"), ("粤B123", "plate"),
                                     ("LSVAA2180E2123456", "vin"), ("王", "name")])
def test_search_guess(q, kind):
    assert v.looks_like(q) == kind
