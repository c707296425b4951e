"""One rule for codes operations, on the API and on the pages (codes/access.py).

Withdrawing many codes needed ``codes:issue`` through the API but ``offers:write`` on
the pages; issuing and withdrawing one code differed the same way.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register

from relaycode.codes import endpoints as code_endpoints
from relaycode.codes import list_endpoints
from relaycode.merchants.deps import RULE
from relaycode.merchants.service import EDITORS
from relaycode.web import dashboard

# (method, path in its router) of every route that issues or withdraws an offer's codes.
CODE_WRITES = {
    ("api", "POST", "/offers/{offer_id}/codes"),
    ("api", "POST", "/offers/{offer_id}/codes/revoke"),
    ("page", "POST", "/dashboard/offers/{offer_id}/codes"),
    ("page", "POST", "/dashboard/offers/{offer_id}/codes/revoke"),
}
ROUTERS = {
    "api": [code_endpoints.router, list_endpoints.router],
    "page": [dashboard.router],
}


def _rules(dependant: Any) -> set[tuple[tuple[str, ...], str]]:
    found = set()
    for dep in dependant.dependencies:
        rule = getattr(dep.call, RULE, None)
        if rule is not None:
            found.add(rule)
        found |= _rules(dep)
    return found


def test_issuing_and_withdrawing_codes_check_the_same_rule_everywhere() -> None:
    seen = {}
    for side, routers in ROUTERS.items():
        for router in routers:
            for route in router.routes:
                assert isinstance(route, APIRoute)
                for method in route.methods or ():
                    if (side, method, route.path) in CODE_WRITES:
                        seen[(side, method, route.path)] = _rules(route.dependant)
    assert set(seen) == CODE_WRITES
    for key, rules in seen.items():
        assert rules == {(EDITORS, "codes:issue")}, (key, rules)


def test_a_key_with_codes_issue_withdraws_and_offers_write_does_not(client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    issue(client, token, offer["id"])
    code_id = client.get(f"/api/v1/offers/{offer['id']}/codes", headers=auth(token)).json()[
        "items"
    ][0]["id"]
    keys = {}
    for scope in ("codes:issue", "offers:write"):
        r = client.post(
            "/api/v1/merchants/shop/api-keys",
            json={"name": scope, "scopes": [scope]},
            headers=auth(token),
        )
        assert r.status_code == 201, r.text
        keys[scope] = r.json()["key"]
    path = f"/api/v1/offers/{offer['id']}/codes/revoke"
    r = client.post(path, json={"ids": [code_id]}, headers=auth(keys["offers:write"]))
    assert r.status_code == 403
    r = client.post(path, json={"ids": [code_id]}, headers=auth(keys["codes:issue"]))
    assert r.status_code == 200 and r.json()["revoked"] == 1
    r = client.post(f"/api/v1/codes/{code_id}/revoke", headers=auth(keys["offers:write"]))
    assert r.status_code == 403
