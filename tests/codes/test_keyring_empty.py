"""A keyring that is valid but holds no signing key: issuing says so (no StopIteration).

(A file that is not a keyring at all, ``{}`` included, is refused by the strict parser of
codes/keyfile.py: at startup in one line, at runtime by keeping the keys in memory.)
"""

from __future__ import annotations

import json
import os
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register

from relaycode.app import create_app
from relaycode.config import Settings


def _empty_keyring(app: Any, content: Any) -> None:
    keyring = app.state.rc.keyring
    keyring.path.write_text(json.dumps(content))
    later = keyring.path.stat().st_mtime + 10
    os.utime(keyring.path, (later, later))
    keyring.refresh(max_age=0)


EMPTY: dict[str, list[object]] = {"hmac": [], "ed25519": []}


def test_issuing_with_an_empty_keyring_is_a_clear_error(app: Any, client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    code_text = issue(client, token, offer["id"])
    _empty_keyring(app, EMPTY)

    r = client.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=auth(token))
    assert r.status_code == 503, r.text
    error = r.json()["error"]
    assert error["code"] == "no_active_key"
    assert "relaycode keys rotate" in error["message"]
    # Everything else keeps answering: the trust list (now empty), and scans, which
    # report the old code as signed by a key we no longer hold.
    assert client.get("/api/v1/trust-list").json()["keys"] == []
    r = client.post("/api/v1/scan", json={"text": code_text})
    assert r.status_code == 200 and r.json()["verdict"] == "ours_invalid"


def test_a_server_started_on_an_empty_keyring_says_so_too(settings: Settings) -> None:
    path = settings.data_dir / "keys" / "keyring.json"
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text(json.dumps(EMPTY))
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            token = register(client)
            offer = merchant_with_offer(client, token)
            r = client.post(f"/api/v1/offers/{offer['id']}/codes", json={}, headers=auth(token))
            assert (r.status_code, r.json()["error"]["code"]) == (503, "no_active_key")
    finally:
        app.state.rc.scans.close()
        app.state.rc.db.dispose()


def test_rotating_an_emptied_keyring_makes_keys_again(app: Any, client: TestClient) -> None:
    token = register(client)
    offer = merchant_with_offer(client, token)
    _empty_keyring(app, EMPTY)
    app.state.rc.keyring.rotate()
    assert issue(client, token, offer["id"]).startswith("HTTPS://RC.TEST/C/")
