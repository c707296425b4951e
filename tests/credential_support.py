"""A bank with a teller, two customers and a template: the credential tests' world."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, register

BILL: dict[str, Any] = {
    "kind": "bank_bill",
    "name": "Bank bill",
    "fields": [
        {"key": "amount", "label": "Amount", "type": "money"},
        {"key": "drawer", "label": "Drawer", "type": "text"},
        {"key": "due", "label": "Due", "type": "date", "required": False},
    ],
    "use_mode": "single",
    "transferable": True,
    "max_endorsements": 2,
    "forms": ["reference", "signed"],
}


@dataclass
class World:
    owner: str
    teller: str
    alice: str
    bob: str
    merchant_id: int
    slug: str = "bank"

    def template(self, client: TestClient, **changes: Any) -> int:
        body = {**BILL, **changes}
        r = client.post(
            f"/api/v1/merchants/{self.merchant_id}/credential-templates",
            json=body,
            headers=auth(self.owner),
        )
        assert r.status_code == 201, r.text
        tid: int = r.json()["id"]
        return tid

    def issue(
        self, client: TestClient, template_id: int, holder: str = "alice", **fields: Any
    ) -> dict[str, Any]:
        values = {"amount": 50000, "drawer": "ACME Ltd", **fields}
        r = client.post(
            f"/api/v1/credential-templates/{template_id}/items",
            json={"holder": holder, "fields": values},
            headers=auth(self.owner),
        )
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out

    def claim(self, client: TestClient, text: str, token: str | None = None) -> dict[str, Any]:
        r = client.post("/api/v1/claims", json={"text": text}, headers=auth(token or self.alice))
        assert r.status_code == 201, r.text
        out: dict[str, Any] = r.json()
        return out

    def present(self, client: TestClient, credential_id: str, token: str | None = None) -> str:
        r = client.get(
            f"/api/v1/credentials/{credential_id}/presentation", headers=auth(token or self.alice)
        )
        assert r.status_code == 200, r.text
        text: str = r.json()["text"]
        return text

    def redeem(self, client: TestClient, text: str, nonce: str, **extra: Any) -> Any:
        return client.post(
            "/api/v1/redemptions",
            json={"text": text, "nonce": nonce, **extra},
            headers=auth(self.teller),
        )

    def credential(
        self,
        client: TestClient,
        template_id: int,
        holder: str = "alice",
        token: str | None = None,
        **fields: Any,
    ) -> tuple[str, str]:
        """(credential id, presented text) of a freshly issued and claimed item."""
        item = self.issue(client, template_id, holder, **fields)
        c = self.claim(client, item["text"], token)
        return c["id"], self.present(client, c["id"], token)


def make_world(client: TestClient) -> World:
    owner = register(client, "owner")
    teller = register(client, "teller")
    alice = register(client, "alice")
    bob = register(client, "bob")
    r = client.post("/api/v1/merchants", json={"slug": "bank", "name": "Bank"}, headers=auth(owner))
    assert r.status_code == 201, r.text
    mid = r.json()["id"]
    r = client.put(
        "/api/v1/merchants/bank/members",
        json={"username": "teller", "role": "verifier"},
        headers=auth(owner),
    )
    assert r.status_code in (200, 201), r.text
    return World(owner, teller, alice, bob, mid)


def error_code(r: Any) -> str:
    """The machine-readable code of a 4xx answer (and that it is one)."""
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    code: str = r.json()["error"]["code"]
    return code
