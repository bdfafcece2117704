"""The timeline as pages show it: ids hidden, labels, yes/no, nested values flattened, local times."""
from __future__ import annotations

from claimdesk.core import timeline


def test_rows_hide_ids_and_format_values(app):
    with app.test_request_context():
        rows = dict(timeline.rows({
            "customer_id": 7, "line_ids": [1, 2], "version": 3, "covers_fitted": True, "free_wash": False,
            "lines": [{"description": "电瓶检测更换", "quantity": "1.00", "unit_price": "980.00"}],
            "totals": {"customer": "980.00", "warranty": "0.00"},
            "promised_at": "2026-06-26T11:43:33+00:00", "note": "", "team": "Team B", "late_seconds": 2197.458,
        }, "work_order"))
    assert "customer id" not in rows and "Line ids" not in rows and "version" not in rows
    assert rows["Protective covers fitted"] == "yes" and rows["Free car wash"] == "no"
    assert rows["Lines"] == "Description 电瓶检测更换, Qty 1.00, Unit price 980.00"  # no \\u escapes
    assert rows["Totals"] == "Customer 980.00, Warranty 0.00"
    assert rows["Promised completion"] == "2026-06-26 19:43"  # Asia/Shanghai
    assert "Note" not in rows and rows["Team"] == "Team B"
    assert rows["Late by"] == "36m"


def test_a_domain_labels_its_own_fields_on_its_own_timeline(app):
    with app.test_request_context():
        rows = dict(timeline.rows({"covers_fitted": True}, "work_order"))
        assert rows == {"Protective covers fitted": "yes"}
        assert dict(timeline.rows({"liability": "full"}, "claim"))["Liability"]
        # another case type's field keeps its plain name: the labels are the domain's, not core's
        assert dict(timeline.rows({"covers_fitted": True}, "claim")) == {"covers fitted": "yes"}


def test_coded_values_read_in_words(app):
    with app.test_request_context():
        assert dict(timeline.rows({"reason": "waiting_customer"}))["Reason"] == "Waiting on the customer"
        assert dict(timeline.rows({"channel": "on_site"}, "complaint"))["Channel"] == "On site"
        assert dict(timeline.rows({"channel": "mystery"}, "complaint"))["Channel"] == "mystery"
