"""What the API fuzzer found, pinned as plain regression tests (fast, no hypothesis)."""
from __future__ import annotations

import io

import pytest

from tests.claims.factories import InsurerFactory, new_claim


def _error(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    assert body["error"]["code"] and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("path", ["customers/2147483648", "complaints/99999999999999",
                                  "work-orders/34359738367/recommendations", "insurers/1134394921039",
                                  "documents/150942524149979250950144/content"])
def test_id_beyond_the_database_range_is_an_unknown_id(manager, api_as, path):
    """Was 500 (PostgreSQL: integer out of range); an id no row can have is a 404 like any other."""
    _error(api_as(manager).get(path), 404)


def test_action_on_huge_case_id_is_404(manager, api_as):
    _error(api_as(manager).action("complaints", 2**40, "note", text="x"), 404)


@pytest.mark.parametrize("query", ["store_id=-1932290821641761671010582528", "customer_id=4294967296",
                                   "assignee_id=2147483648"])
def test_integer_filter_out_of_range_is_422(manager, api_as, query):
    """Was 500 (integer out of range in the WHERE clause)."""
    resp = api_as(manager).get(f"complaints?{query}")
    assert resp.status_code in (200, 422)
    if resp.status_code == 422:
        assert _error(resp, 422)["code"] == "validation_error"


def test_customer_list_with_out_of_range_store_filter(manager, api_as):
    resp = api_as(manager).get("customers?store_id=-1932290821641761671010582528&q=danger")
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)[:300]


def test_multipart_part_without_a_usable_name_is_422_json(manager, api_as, store):
    """Was an exception inside the error handler (None key in field errors) → bare 500 page."""
    from tests.claims.factories import PNG

    claim = new_claim(manager, store, InsurerFactory())
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\n1\r\n"  # no name: parsed as None
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"extra\"\r\n\r\n2\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\npolicy\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + PNG + f"\r\n--{boundary}--\r\n".encode()
    api = api_as(manager)
    resp = api.post(f"claims/{claim.id}/documents", data=io.BytesIO(body),
                    content_type=f"multipart/form-data; boundary={boundary}")
    err = _error(resp, 422)
    assert all(isinstance(k, str) for k in err.get("fields", {}))


def test_spec_documents_the_error_body_and_statuses(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"] and error["additionalProperties"] is False
    body = spec["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"status", "code", "message"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = set(op["responses"])
            assert "default" not in codes, (method, path)
            assert "503" in codes, (method, path)
            if op.get("security") != []:
                assert {"401", "403"} <= codes, (method, path)
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put", "patch"):
                assert {"400", "413", "415"} <= codes, (method, path)
            for code, resp in op["responses"].items():
                if int(code) >= 400:
                    ref = resp.get("$ref")
                    resolved = spec["components"]["responses"][ref.rsplit("/", 1)[-1]] if ref else resp
                    assert resolved["content"]["application/json"]["schema"] == \
                        {"$ref": "#/components/schemas/Error"}, (method, path, code)


def test_spec_money_is_a_decimal_string(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    payout = spec["components"]["schemas"]["ClaimPayoutIn"]["properties"]["amount"]
    assert payout["type"] == "string" and payout["format"] == "decimal"
    assert "maximum" not in payout and "minimum" not in payout
    out = spec["components"]["schemas"]["ComplaintOut"]["properties"]["compensation"]
    assert out["type"] == "string"


def test_spec_upload_is_one_multipart_body(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/claims/{claim_id}/documents"]["post"]
    assert not [p for p in op.get("parameters", []) if p["in"] not in ("path", "query", "header")]
    schema = op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "kind", "note"} <= set(schema["properties"]) and {"file", "kind"} <= set(schema["required"])


def test_token_endpoint_needs_no_token_in_the_spec(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/auth/tokens"]["post"]
    assert op["security"] == [] and {"401", "429", "422"} <= set(op["responses"])


@pytest.mark.parametrize("amount", [2.9356023587430217e+142, -5.090976128254763e+212, "1e40", "-1E+30"])
def test_amount_too_large_to_round_is_422(manager, api_as, store, amount):
    """Was 500 (decimal.InvalidOperation: quantizing 2.9e142 to cents exceeds the decimal precision)."""
    from tests.claims.factories import advance

    claim = new_claim(manager, store, InsurerFactory())
    advance(claim, manager, "repair")
    err = _error(api_as(manager).action("claims", claim.id, "supplement", description="hidden damage",
                                        amount=amount), 422)
    assert err["code"] == "validation_error"
