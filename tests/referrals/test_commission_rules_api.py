"""Commission rules over the API: a merchant's default, an offer's override, checks,
versions, who may see and change them, and ``effective_rules`` for the orders slice."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from helpers import auth, merchant_with_offer, register

from relaycode.app import create_app
from relaycode.config import Settings
from relaycode.models import Offer, User
from relaycode.referrals.commission_math import (
    CommissionRules,
    LevelRule,
    Referrer,
    SaleFacts,
    compute_commissions,
)
from relaycode.referrals.commission_rules import effective_rules

RULES = "/api/v1/merchants/shop/commission-rules"
TEN_FIVE: dict[str, Any] = {
    "currency": "CNY",
    "levels": [{"percent_bp": 1000}, {"percent_bp": 500}],
    "max_depth": 2,
    "cap_minor": 3000,
    "hold_days": 14,
}


def _offer_rules(offer_id: int) -> str:
    return f"/api/v1/offers/{offer_id}/commission-rules"


def _code(r: Any) -> str | None:
    return r.json().get("error", {}).get("code") if r.status_code >= 400 else None


@pytest.fixture
def shop(client: TestClient) -> tuple[dict[str, str], int]:
    token = register(client, "owner")
    offer = merchant_with_offer(client, token, price_minor=19_900)
    return auth(token), offer["id"]


def test_a_merchant_sets_its_default_rules(
    client: TestClient, shop: tuple[dict[str, str], int]
) -> None:
    headers, _ = shop
    first = client.get(RULES, headers=headers).json()
    assert first["configured"] is False and first["version"] == 0
    assert first["rules"]["levels"] == [] and first["rules"]["operator_max_depth"] == 3
    r = client.put(RULES, json=TEN_FIVE, headers={**headers, "If-Match": "0"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["configured"] is True and body["version"] == 1
    assert body["rules"]["levels"] == [
        {"level": 1, "percent_bp": 1000, "fixed_minor": 0},
        {"level": 2, "percent_bp": 500, "fixed_minor": 0},
    ]
    assert body["rules"]["cap_minor"] == 3000 and body["rules"]["hold_days"] == 14
    assert body["rules"]["depth"] == 2 and body["rules"]["bind_mode"] == "last_touch"
    assert client.get(RULES, headers=headers).json() == body
    # A stale version is refused; the current one goes through.
    stale = client.put(RULES, json=TEN_FIVE, headers={**headers, "If-Match": "0"})
    assert (stale.status_code, _code(stale)) == (409, "version_conflict")
    again = client.put(
        RULES, json={**TEN_FIVE, "cap_minor": None}, headers={**headers, "If-Match": "1"}
    )
    assert again.json()["version"] == 2 and again.json()["rules"]["cap_minor"] is None
    # Without If-Match the last writer wins.
    assert client.put(RULES, json=TEN_FIVE, headers=headers).json()["version"] == 3


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"levels": [{"percent_bp": 10_001}], "max_depth": 1}, "percent_out_of_range"),
        ({"levels": [{"percent_bp": -1}], "max_depth": 1}, "percent_out_of_range"),
        ({"levels": [{"percent_bp": 6000}, {"percent_bp": 4001}]}, "percent_total_over_100"),
        ({"platform_percent_bp": 8600}, "percent_total_over_100"),
        ({"max_depth": 4, "levels": [{"percent_bp": 100}] * 4}, "max_depth_over_cap"),
        ({"max_depth": 0, "levels": []}, "max_depth_out_of_range"),
        ({"max_depth": 1}, "too_many_levels"),
        ({"cap_minor": -1}, "amount_out_of_range"),
        ({"levels": [{"fixed_minor": 10**13}], "max_depth": 1}, "amount_out_of_range"),
        ({"window_days": 0}, "window_out_of_range"),
        ({"hold_days": 400}, "hold_out_of_range"),
        ({"bind_mode": "middle_touch"}, "invalid_input"),
        ({"currency": "XXX"}, "invalid_input"),
        ({"levels": [{"percent": 10}]}, "invalid_input"),
    ],
)
def test_rules_that_cannot_be_used_are_a_422_with_a_stable_code(
    client: TestClient, shop: tuple[dict[str, str], int], change: dict[str, Any], code: str
) -> None:
    headers, _ = shop
    r = client.put(RULES, json={**TEN_FIVE, **change}, headers=headers)
    assert (r.status_code, _code(r)) == (422, code), r.text
    assert r.json()["error"]["details"]["problems"]
    assert client.get(RULES, headers=headers).json()["configured"] is False


def test_the_operator_sets_the_hard_cap_on_depth(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"commission_max_depth": 5}))
    try:
        with TestClient(app) as c:
            headers = auth(register(c, "owner"))
            c.post("/api/v1/merchants", json={"slug": "shop", "name": "Shop"}, headers=headers)
            deep = {**TEN_FIVE, "max_depth": 5, "levels": [{"percent_bp": 100}] * 5}
            r = c.put(RULES, json=deep, headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["rules"]["depth"] == 5
            r = c.put(RULES, json={**deep, "max_depth": 6}, headers=headers)
            assert _code(r) == "max_depth_over_cap"
    finally:
        app.state.rc.scans.close()
        app.state.rc.activity.close()
        app.state.rc.db.dispose()


def test_an_offer_overrides_and_returns_to_the_default(
    client: TestClient, shop: tuple[dict[str, str], int]
) -> None:
    headers, offer_id = shop
    path = _offer_rules(offer_id)
    none = client.get(path, headers=headers).json()
    assert none["source"] == "none" and none["version"] == 0 and none["override"] is None
    assert none["effective"]["levels"] == []
    client.put(RULES, json=TEN_FIVE, headers=headers)
    assert client.get(path, headers=headers).json()["source"] == "merchant"
    own = {"currency": "CNY", "levels": [{"percent_bp": 2000, "fixed_minor": 100}]}
    r = client.put(path, json=own, headers={**headers, "If-Match": "0"})
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "offer" and r.json()["version"] == 1
    assert r.json()["effective"]["levels"] == [{"level": 1, "percent_bp": 2000, "fixed_minor": 100}]
    assert r.json()["override"] == r.json()["effective"]
    stale = client.put(path, json=own, headers={**headers, "If-Match": "0"})
    assert _code(stale) == "version_conflict"
    r = client.delete(path, headers={**headers, "If-Match": "1"})
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "merchant" and r.json()["override"] is None
    assert r.json()["version"] == 2  # it keeps counting: an old If-Match stays stale
    assert r.json()["effective"]["cap_minor"] == 3000
    assert client.delete(path, headers=headers).json()["version"] == 2  # nothing to undo
    assert _code(client.put(path, json=own, headers={**headers, "If-Match": "1"})) == (
        "version_conflict"
    )
    assert _code(client.put(path, json={**own, "max_depth": 9}, headers=headers)) == (
        "max_depth_over_cap"
    )
    archived = client.post(f"/api/v1/offers/{offer_id}/archive", headers=headers)
    assert archived.status_code == 200
    assert _code(client.put(path, json=own, headers=headers)) == "offer_archived"


def test_effective_rules_for_the_orders_slice(
    client: TestClient, shop: tuple[dict[str, str], int]
) -> None:
    headers, offer_id = shop
    db = client.app.state.rc.db  # type: ignore[attr-defined]
    with db.transaction() as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None
        assert effective_rules(s, offer, operator_max_depth=3) == CommissionRules(currency="CNY")
    client.put(RULES, json={**TEN_FIVE, "platform_percent_bp": 100}, headers=headers)
    with db.transaction() as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None
        rules = effective_rules(s, offer, operator_max_depth=1)
    assert rules.levels == (LevelRule(1000), LevelRule(500)) and rules.depth == 1
    assert rules.hold_days == 14 and rules.platform == LevelRule(100)
    sale = SaleFacts(amount_minor=19_900, currency="CNY", buyer_user_id=99)
    result = compute_commissions(sale, [Referrer(1), Referrer(2)], rules)
    assert [(s.level, s.amount_minor) for s in result.splits] == [(1, 1990), (0, 199)]
    assert [(b.level, b.reason) for b in result.blocked] == [(2, "beyond_max_depth")]


def test_only_owners_and_operators_see_and_change_the_rules(
    client: TestClient, shop: tuple[dict[str, str], int]
) -> None:
    headers, offer_id = shop
    staff, stranger, admin = (auth(register(client, n)) for n in ("stella", "sam", "admin"))
    r = client.put("/api/v1/merchants/shop/members", json={"username": "stella", "role": "staff"},
                   headers=headers)  # fmt: skip
    assert r.status_code == 200
    scopes = ["offers:read", "offers:write"]
    r = client.post("/api/v1/merchants/shop/api-keys", headers=headers,
                    json={"name": "k", "scopes": scopes})  # fmt: skip
    key = r.json()["key"]
    paths = [RULES, _offer_rules(offer_id)]
    for who in (staff, stranger, auth(key)):
        for path in paths:
            assert client.get(path, headers=who).status_code == 403, path
            r = client.put(path, json=TEN_FIVE, headers=who)
            assert (r.status_code, _code(r)) == (403, "forbidden"), path
        assert client.delete(paths[1], headers=who).status_code == 403
    for path in paths:
        assert client.get(path).status_code == 401
    with client.app.state.rc.db.transaction() as s:  # type: ignore[attr-defined]
        s.execute(sa.update(User).where(User.username == "admin").values(is_operator=True))
    for path in paths:
        assert client.put(path, json=TEN_FIVE, headers=admin).status_code == 200, path
    assert client.get(_offer_rules(10**6), headers=admin).status_code == 404
