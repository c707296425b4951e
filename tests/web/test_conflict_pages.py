"""The issuer's page of offline conflicts: a bill two stations let in while offline shows
both sides (stations, times); the teller (a verifier) may not read it; both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from credential_support import make_world
from fastapi.testclient import TestClient
from helpers import auth, signed_in_pages

URL = "/api/v1/redemptions/offline"


def _browser(app: Any, username: str) -> TestClient:
    return signed_in_pages(app, username, raise_server_exceptions=False)


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def test_conflicts_page_shows_both_stations(client: TestClient, app: Any) -> None:
    w = make_world(client)
    owner = _browser(app, "owner")
    empty = owner.get("/dashboard/m/bank/redemption-conflicts")
    assert empty.status_code == 200 and "data-conflicts-none" in empty.text
    cid, _reference = w.credential(client, w.template(client, forms=["reference", "signed"]))
    r = client.get(f"/api/v1/credentials/{cid}/presentation?form=signed", headers=auth(w.alice))
    signed = r.json()["text"]
    for station, nonce, ago in (("gate-a", "n-a", 3), ("gate-b", "n-b", 2)):
        body = {
            "station": station,
            "redemptions": [{"text": signed, "nonce": nonce, "redeemed_at": _ago(ago)}],
        }
        assert client.post(URL, json=body, headers=auth(w.teller)).status_code == 200
    shown = owner.get("/dashboard/m/bank/redemption-conflicts")
    assert shown.status_code == 200
    assert shown.text.count("data-conflict=") == 1
    assert 'data-conflict-reason="already_redeemed"' in shown.text
    assert "gate-a" in shown.text and "gate-b" in shown.text and "Redeemed twice" in shown.text
    zh = owner.get("/dashboard/m/bank/redemption-conflicts", headers={"Accept-Language": "zh-CN"})
    assert "被核销两次" in zh.text
    assert (
        "/dashboard/m/bank/redemption-conflicts" in owner.get("/dashboard/m/bank/credentials").text
    )
    # A verifier redeems but does not settle: not this page; nor an outsider.
    assert _browser(app, "teller").get("/dashboard/m/bank/redemption-conflicts").status_code in (
        403,
        404,
    )
    outsider = _browser(app, "bob").get("/dashboard/m/bank/redemption-conflicts")
    assert outsider.status_code in (403, 404) and "gate-a" not in outsider.text
