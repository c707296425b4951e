"""The verifier station page (web/station.py) and its one API addition, pair mode."""

from __future__ import annotations

import json
import re

from credential_support import make_world
from fastapi.testclient import TestClient
from helpers import auth, register


def words_of(html: str) -> dict[str, str]:
    found = re.search(r'id="station-words">(.*?)</script>', html, re.S)
    assert found, html[:300]
    words: dict[str, str] = json.loads(found.group(1))
    return words


def web_login(client: TestClient, username: str, password: str = "correct horse 1") -> None:
    client.cookies.clear()
    client.get("/login")
    csrf = next(v for k, v in client.cookies.items() if k.endswith("rc_csrf"))
    form = {"username": username, "password": password, "csrf": csrf, "next": "/"}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code in (302, 303), r.text[:300]


def test_a_verifier_opens_the_station(client: TestClient) -> None:
    w = make_world(client)
    web_login(client, "teller")
    r = client.get("/dashboard/m/bank/station")
    assert r.status_code == 200, r.text[:300]
    html = r.text
    assert f'data-merchant-id="{w.merchant_id}"' in html
    assert 'data-emit="station"' in html  # scan.js hands the text over instead of leaving
    assert "station.js" in html and "scan.js" in html
    words = words_of(html)
    assert words["reason.already_redeemed"] == "Already redeemed."
    assert words["verdict.valid"] == "VALID"
    # The merchant's page links it, for verifiers too.
    assert "/dashboard/m/bank/station" in client.get("/dashboard/m/bank").text


def test_the_station_speaks_chinese(client: TestClient) -> None:
    make_world(client)
    web_login(client, "teller")
    r = client.get("/dashboard/m/bank/station", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 200
    assert "核验台" in r.text
    words = words_of(r.text)
    assert words["reason.revoked"].startswith("已被发行方撤销")


def test_only_the_team_opens_it(client: TestClient) -> None:
    make_world(client)
    assert client.get("/dashboard/m/bank/station", follow_redirects=False).status_code in (
        302,
        303,
        401,
    )
    web_login(client, "bob")  # a customer of the bank, not on its team
    assert client.get("/dashboard/m/bank/station").status_code in (403, 404)


def test_pair_mode_matches_the_bill_with_its_credential(client: TestClient) -> None:
    w = make_world(client)
    tid = w.template(client)
    item = w.issue(client, tid)
    c = w.claim(client, item["text"])
    text = w.present(client, c["id"])
    other = w.issue(client, tid)
    r = client.post(
        "/api/v1/verifications",
        json={"text": text, "item_text": item["text"]},
        headers=auth(w.teller),
    )
    assert r.status_code == 200, r.text
    assert r.json()["verdict"] == "valid" and r.json()["pair"] == "match"
    r = client.post(
        "/api/v1/verifications",
        json={"text": text, "item_text": other["text"]},
        headers=auth(w.teller),
    )
    assert r.json()["pair"] == "no_match"
    # The credential's own code is no bill; garbage is no bill either.
    for wrong in (text, "hello"):
        r = client.post(
            "/api/v1/verifications", json={"text": text, "item_text": wrong}, headers=auth(w.teller)
        )
        assert r.status_code == 200 and r.json()["pair"] == "no_match"
    # Without item_text nothing changes.
    r = client.post("/api/v1/verifications", json={"text": text}, headers=auth(w.teller))
    assert r.json()["pair"] is None


def test_pair_mode_follows_an_endorsement(client: TestClient) -> None:
    w = make_world(client)
    tid = w.template(client)
    item = w.issue(client, tid)
    c = w.claim(client, item["text"])
    r = client.post(f"/api/v1/credentials/{c['id']}/endorse", json={"to": "bob"},
                    headers=auth(w.alice))  # fmt: skip
    assert r.status_code == 201, r.text
    text = w.present(client, r.json()["id"], w.bob)
    r = client.post(
        "/api/v1/verifications",
        json={"text": text, "item_text": item["text"]},
        headers=auth(w.teller),
    )
    assert r.json()["verdict"] == "valid" and r.json()["pair"] == "match"


def test_the_service_worker_keeps_the_station(client: TestClient) -> None:
    register(client)
    source = client.get("/sw.js").text
    assert "station)" in source
    for name in ("station.js", "scan.js", "station.css", "credential-verify.js", "presentation.js"):
        assert name in source
