"""Post-redirect-get everywhere: every page form that succeeds answers 303, so a reload
repeats nothing; a new API key's secret is shown once, from a one-time flash."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from phone_support import last_code
from sqlalchemy import func, select

from relaycode.identity import repository as id_repo
from relaycode.models import (
    Code,
    Credential,
    CredentialItem,
    CredentialTemplate,
    MerchantApiKey,
    Order,
    PaymentCode,
    ServiceRequest,
    ShownFlash,
    WebhookDelivery,
    WebhookEndpoint,
    Withdrawal,
)
from relaycode.payments import ledger, wallet
from relaycode.referrals import withdrawals
from relaycode.web import flash
from relaycode.web.pages import router as pages_router

KEY = re.compile(r"rck_[A-Za-z0-9_-]{20,}")
TEAM = "/dashboard/m/tea-house/team"
HOOKS = "/dashboard/m/tea-house/webhooks"


def _sign_up(client: TestClient, username: str) -> None:
    client.get("/")
    form = {"csrf": client.cookies["rc_csrf"], "username": username}
    form |= {"password": "password123", "password2": "password123"}
    assert client.post("/register", data=form, follow_redirects=False).status_code == 303


def _key_count(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.count()).select_from(MerchantApiKey)) or 0)


def test_reloading_after_a_new_key_creates_no_second_key(
    pages: Any, client: TestClient, app: Any
) -> None:
    pages.shop()
    r = pages.post(f"{TEAM}/keys", {"name": "till", "scopes": ["offers:read"]})
    assert r.status_code == 303
    location = r.headers["location"]
    assert location.startswith(TEAM) and not KEY.search(location)  # never in the URL
    set_cookie = r.headers.get("set-cookie", "")
    assert "rc_flash=" in set_cookie and not KEY.search(set_cookie)  # encrypted, too
    assert "HttpOnly" in set_cookie and f"Path={TEAM}" in set_cookie

    shown = client.get(location)
    (secret,) = set(KEY.findall(shown.text))
    assert shown.headers["cache-control"] == "no-store"
    # The reload a new user did: the same page again. No second key, no secret again.
    for _ in range(2):
        again = client.get(location)
        assert again.status_code == 200 and KEY.search(again.text) is None
    assert _key_count(app) == 1
    assert client.get("/api/v1/merchants/tea-house/offers", headers=_bearer(secret)).is_success


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _flash_after_new_key(pages: Any) -> str:
    pages.shop()
    r = pages.post(f"{TEAM}/keys", {"name": "till", "scopes": ["offers:read"]})
    assert r.status_code == 303
    value = pages.client.cookies.get("rc_flash", path=TEAM)
    assert value
    return str(value)


def test_the_flash_belongs_to_one_session(pages: Any, client: TestClient) -> None:
    value = _flash_after_new_key(pages)
    # The same owner, signed in afresh (a new session): a copied flash shows nothing.
    pages.post("/logout", {})
    r = pages.post("/login", {"username": "alice", "password": "password123"})
    assert r.status_code == 303
    client.cookies.set("rc_flash", value, path=TEAM)
    page = client.get(TEAM)
    assert page.status_code == 200 and KEY.search(page.text) is None


@pytest.mark.parametrize("change", ["tamper", "truncate", "garbage"])
def test_a_damaged_flash_shows_nothing(pages: Any, client: TestClient, change: str) -> None:
    value = _flash_after_new_key(pages)
    damaged = {
        "tamper": value[:-2] + ("AA" if not value.endswith("AA") else "BB"),
        "truncate": value[:10],
        "garbage": "%%%not-base64%%%",
    }[change]
    client.cookies.delete("rc_flash", path=TEAM)
    client.cookies.set("rc_flash", damaged, path=TEAM)
    page = client.get(TEAM)
    assert page.status_code == 200 and KEY.search(page.text) is None


def test_an_old_flash_shows_nothing(
    pages: Any, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _flash_after_new_key(pages)
    now = flash.time.time()
    monkeypatch.setattr(flash.time, "time", lambda: now + flash.FLASH_SECONDS + 1)
    page = client.get(TEAM)
    assert page.status_code == 200 and KEY.search(page.text) is None


def _routes(router: Any) -> Any:
    for route in router.routes:
        included = getattr(route, "original_router", None)  # FastAPI's include_router
        if included is not None:
            yield from _routes(included)
        else:
            yield route


def _web_posts() -> set[str]:
    """Every POST handler of the pages (web/), found by walking their router."""
    return {r.path for r in _routes(pages_router) if "POST" in getattr(r, "methods", set())}


def test_every_page_form_redirects_with_303(pages: Any, client: TestClient, app: Any) -> None:
    shop = pages.shop()
    code_id = _code_ids(app)[0]
    _sign_up(TestClient(app), "sam")
    token = client.post(
        "/api/v1/auth/login",
        json={"username": "alice", "password": "password123", "device_label": "old phone"},
    ).json()["device_id"]
    offer = f"/dashboard/offers/{shop.offer_id}"
    share = client.post(
        "/api/v1/shares",
        json={"code": shop.code_text},
        headers={"X-CSRF-Token": client.cookies["rc_csrf"]},
    )
    assert share.status_code == 201, share.text
    share_id = share.json()["id"]
    with app.state.rc.db.transaction() as db:  # alice buys from her own shop, with the wallet
        wallet.grant_to(db, "alice", 100_000, "CNY")
        _commissions_available(db, "alice", 5_000)  # and withdraws, as an operator
    buy = {"code": shop.code_text, "offer_id": str(shop.offer_id), "quantity": "1",
           "payment_method": "wallet", "idempotency_key": "prg-buy", "back": "/"}  # fmt: skip
    orders = "/dashboard/m/tea-house/orders"
    sent = client.post("/api/v1/me/phone", json={"phone": "138 0013 8000"},
                       headers={"X-CSRF-Token": client.cookies["rc_csrf"]})  # fmt: skip
    assert sent.status_code == 200, sent.text
    phone_code = last_code(app.state.rc.settings.data_dir)  # from the SMS file
    mid = next(m["id"] for m in client.get("/api/v1/merchants").json()["items"]
               if m["slug"] == "tea-house")  # fmt: skip
    paycode = client.post(f"/api/v1/merchants/{mid}/payment-codes", json={},
                          headers={"X-CSRF-Token": client.cookies["rc_csrf"]})  # fmt: skip
    assert paycode.status_code == 201, paycode.text
    pay_path = f"/pay/{paycode.json()['id']}"
    # Paths are made when their step runs: a key is revoked after it was created.
    steps: list[tuple[str, Callable[[], str], dict[str, Any]]] = [
        # Before the offer is paused and its code withdrawn (below).
        ("/checkout", lambda: "/checkout", buy),
        ("/dashboard/m/{slug}/orders/{order_id}/fulfil",
         lambda: f"{orders}/{_order_id(app)}/fulfil", {}),
        ("/dashboard/m/{slug}/orders/{order_id}/refund",
         lambda: f"{orders}/{_order_id(app)}/refund", {"kind": "full", "idempotency_key": "k"}),
        ("/scan", lambda: "/scan", {"text": shop.code_text}),
        ("/dashboard/merchants", lambda: "/dashboard/merchants",
         {"slug": "second", "name": "Second"}),
        ("/dashboard/m/{slug}/offers/new", lambda: "/dashboard/m/tea-house/offers/new",
         {"title": "Oolong", "price": "¥38.5", "currency": "CNY"}),
        ("/dashboard/offers/{offer_id}/edit", lambda: f"{offer}/edit",
         {"title": "Green tea", "price": "13", "currency": "CNY", "version": "1"}),
        # After the edit: saving a game bumps the offer's version.
        ("/dashboard/offers/{offer_id}/game", lambda: f"{offer}/game",
         {"attributes": "O=Oxygen\nH=Hydrogen", "recipes": "O H H = Water",
          "assignment": "choose"}),
        ("/dashboard/offers/{offer_id}/game/players", lambda: f"{offer}/game/players",
         {"username": "sam", "attribute": "H"}),
        ("/offers/{offer_id}/game/join", lambda: f"/offers/{shop.offer_id}/game/join",
         {"attribute": "O", "next": f"/offers/{shop.offer_id}"}),
        ("/dashboard/offers/{offer_id}/codes", lambda: f"{offer}/codes", {"channel": "flyer"}),
        ("/dashboard/offers/{offer_id}/codes/revoke", lambda: f"{offer}/codes/revoke",
         {"codes": [code_id]}),
        ("/dashboard/codes/{code_id}/revoke",
         lambda: f"/dashboard/codes/{_code_ids(app)[0]}/revoke", {}),
        ("/dashboard/offers/{offer_id}/status", lambda: f"{offer}/status", {"action": "pause"}),
        ("/dashboard/m/{slug}/team/members", lambda: f"{TEAM}/members",
         {"username": "sam", "role": "staff"}),
        ("/dashboard/m/{slug}/team/keys", lambda: f"{TEAM}/keys",
         {"name": "till", "scopes": ["scan"]}),
        ("/dashboard/m/{slug}/team/keys/{key_id}/revoke",
         lambda: f"{TEAM}/keys/{_key_id(app)}/revoke", {}),
        ("/dashboard/m/{slug}/commissions", lambda: "/dashboard/m/tea-house/commissions",
         {"currency": "CNY", "max_depth": "1", "level_1_percent": "10", "version": "0"}),
        ("/dashboard/offers/{offer_id}/commissions", lambda: f"{offer}/commissions",
         {"currency": "CNY", "max_depth": "1", "level_1_percent": "20", "version": "0"}),
        ("/account/devices/{device_uid}/revoke", lambda: f"/account/devices/{token}/revoke", {}),
        ("/inbox/test", lambda: "/inbox/test", {}),
        # The phone section: the code sent above proved, another sent, then removed.
        ("/account/phone/verify", lambda: "/account/phone/verify", {"code": phone_code}),
        ("/account/phone", lambda: "/account/phone", {"phone": "139 0013 9000"}),
        ("/account/phone/remove", lambda: "/account/phone/remove", {}),
        ("/inbox/read", lambda: "/inbox/read", {"all": "1"}),
        ("/dashboard/m/{slug}/webhooks", lambda: HOOKS,
         {"url": "https://hooks.example.com/in", "events": ["order.paid"]}),
        ("/dashboard/m/{slug}/webhooks/{webhook_id}/test",
         lambda: f"{HOOKS}/{_hook_id(app)}/test", {}),
        ("/dashboard/m/{slug}/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
         lambda: f"{HOOKS}/{_hook_id(app)}/deliveries/{_delivery_id(app)}/replay", {}),
        ("/dashboard/m/{slug}/webhooks/{webhook_id}/rotate",
         lambda: f"{HOOKS}/{_hook_id(app)}/rotate", {}),
        ("/dashboard/m/{slug}/webhooks/{webhook_id}/delete",
         lambda: f"{HOOKS}/{_hook_id(app)}/delete", {}),
        # Credentials: a template, an item to alice (one, then a CSV file), claimed,
        # endorsed to sam, and sam's revoked by the issuer.
        ("/dashboard/m/{slug}/credentials", lambda: CREDS,
         {"kind": "ticket", "name": "Gig", "forms": ["reference"], "transferable": "1",
          "max_endorsements": "1", "use_mode": "single"}),
        ("/dashboard/m/{slug}/credentials/{template_id}/items",
         lambda: f"{CREDS}/{_template_id(app)}/items", {"holder": "alice"}),
        ("/dashboard/m/{slug}/credentials/{template_id}/items/csv",
         lambda: f"{CREDS}/{_template_id(app)}/items/csv", {}),
        ("/me/credentials/claim", lambda: "/me/credentials/claim", {"text": ""}),
        ("/me/credentials/{credential_id}/verification-link",
         lambda: f"/me/credentials/{_credential_id(app, 'active')}/verification-link",
         {"verifier": "alice"}),
        ("/me/credentials/{credential_id}/endorse",
         lambda: f"/me/credentials/{_credential_id(app, 'active')}/endorse", {"to": "sam"}),
        ("/dashboard/m/{slug}/credentials/{template_id}/revoke/{credential_id}",
         lambda: f"{CREDS}/{_template_id(app)}/revoke/{_credential_id(app, 'active')}", {}),
        ("/wallet/withdrawals", lambda: "/wallet/withdrawals",
         {"amount": "10", "currency": "CNY", "payout_details": "IBAN DE00 1234", "key": "w1"}),
        ("/admin/withdrawals/{withdrawal_id}/approve",
         lambda: f"/admin/withdrawals/{_pending_withdrawal(app)}/approve", {"note": "paid"}),
        ("/admin/withdrawals/{withdrawal_id}/reject",
         lambda: f"/admin/withdrawals/{_pending_withdrawal(app)}/reject", {}),
        ("/me/codes/{code_id}/review", lambda: f"/me/codes/{share_id}/review",
         {"rating": "4", "text": "Good"}),
        ("/pay/{payment_code_id}", lambda: pay_path,
         {"amount": "3.20", "payment_method": "wallet", "idempotency_key": "prg-pay"}),
        # Payment codes and service requests: made, withdrawn; recorded, completed, asked.
        ("/dashboard/m/{slug}/payment-codes", lambda: PAYCODES,
         {"label": "Till 2", "currency": "CNY", "methods": ["wallet"]}),
        ("/dashboard/m/{slug}/payment-codes/{payment_code_id}/withdraw",
         lambda: f"{PAYCODES}/{_newest(app, PaymentCode)}/withdraw", {}),
        ("/dashboard/m/{slug}/service-requests", lambda: SERVICE,
         {"user": "sam", "description": "Fit the new filter"}),
        ("/dashboard/m/{slug}/service-requests/{request_id}/complete",
         lambda: f"{SERVICE}/{_newest(app, ServiceRequest)}/complete", {}),
        ("/me/service-requests", lambda: "/me/service-requests",
         {"merchant": "tea-house", "description": "Gift wrapping"}),
        ("/logout", lambda: "/logout", {}),
        ("/login", lambda: "/login", {"username": "alice", "password": "password123"}),
        ("/register", lambda: "/register",
         {"username": "zoe", "password": "password123", "password2": "password123"}),
    ]  # fmt: skip
    assert {route for route, _path, _form in steps} == _web_posts()  # none left out
    for _route, make_path, form in steps:
        path = make_path()
        if path.endswith("/items/csv"):
            form = {"files": {"file": ("a.csv", "holder\nalice\n", "text/csv")}}
        if path == "/me/credentials/claim":
            form = {"text": _item_text(app)}
        files = form.pop("files", None) if "files" in form else None
        r = pages.post(path, form, files=files) if files else pages.post(path, form)
        assert r.status_code == 303, (path, r.text[:300])
        target = r.headers["location"]
        assert target.startswith("/") and not target.startswith("//")
        assert client.get(target).status_code in (200, 410), target  # a page to reload


def _code_ids(app: Any) -> list[str]:
    with app.state.rc.db.transaction() as db:
        return list(
            db.scalars(
                select(Code.id)
                .where(Code.status == "active", Code.kind == "offer")
                .order_by(Code.id)
            )
        )


def _commissions_available(db: Any, username: str, amount: int) -> None:
    """Seed ``username`` with withdrawable commissions (a balanced posting) and make them
    an operator, so the withdrawal forms can be walked."""
    user = id_repo.user_by_username(db, username)
    assert user is not None
    user.is_operator = True
    source = ledger.account(db, "platform_grants", "CNY")
    available = ledger.account(db, "commissions_available", "CNY", user_id=user.id)
    ledger.post(db, kind="test_seed", lines=[(source, -amount), (available, amount)])


def _pending_withdrawal(app: Any) -> int:
    """A requested withdrawal of alice's: the newest, else a new one."""
    with app.state.rc.db.transaction() as db:
        found = db.scalar(
            select(Withdrawal.id).where(Withdrawal.status == "requested").order_by(Withdrawal.id)
        )
        if found is not None:
            return int(found)
        alice = id_repo.user_by_username(db, "alice")
        assert alice is not None
        made = withdrawals.request(db, alice, 500, "CNY", "IBAN DE00 1234", "prg-second")
        return int(made.withdrawal.id)


def _order_id(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.max(Order.id))) or 0)


def _hook_id(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.max(WebhookEndpoint.id))) or 0)


def _delivery_id(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.max(WebhookDelivery.id))) or 0)


CREDS = "/dashboard/m/tea-house/credentials"
PAYCODES = "/dashboard/m/tea-house/payment-codes"
SERVICE = "/dashboard/m/tea-house/service-requests"


def _newest(app: Any, model: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.max(model.id))) or 0)


def _template_id(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.max(CredentialTemplate.id))) or 0)


def _credential_id(app: Any, status: str) -> str:
    with app.state.rc.db.transaction() as db:
        q = select(Credential.id).where(Credential.status == status).order_by(Credential.id)
        return str(db.scalars(q).first())


def _item_text(app: Any) -> str:
    """The printed text of the newest item, as its holder's phone would scan it."""
    from relaycode.credentials.present import text_of

    with app.state.rc.db.transaction() as db:
        item = db.scalars(select(CredentialItem).order_by(CredentialItem.id.desc())).first()
        assert item is not None
        return str(text_of(app.state.rc, db, item.code_id))


def _key_id(app: Any) -> int:
    with app.state.rc.db.transaction() as db:
        return int(db.scalar(select(func.max(MerchantApiKey.id))) or 0)


# ---- one-time on the server, not only by the browser's grace ---------------------------


def test_a_replayed_flash_shows_nothing(pages: Any, client: TestClient) -> None:
    """The response that shows the secret deletes the cookie, but a captured cookie,
    sent again within its five minutes in the same session, showed the secret again."""
    value = _flash_after_new_key(pages)
    first = client.get(TEAM)
    assert len(set(KEY.findall(first.text))) == 1
    for _ in range(2):
        client.cookies.set("rc_flash", value, path=TEAM)
        replay = client.get(TEAM)
        assert replay.status_code == 200 and KEY.search(replay.text) is None


def test_showing_a_flash_twice_at_once_has_one_winner(app: Any) -> None:
    """The record of a shown flash is one atomic insert: a second transaction taking the
    same id while the first is open waits for it, then gets nothing (both engines)."""
    later = datetime.now(UTC) + timedelta(minutes=5)
    results: list[bool] = []
    with app.state.rc.db.transaction() as first:
        assert id_repo.mark_flash_shown(first, "a" * 32, later)

        def second() -> None:
            with app.state.rc.db.transaction() as db:
                results.append(id_repo.mark_flash_shown(db, "a" * 32, later))

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(timeout=0.5)  # it cannot finish: the first has not committed
        assert thread.is_alive() or results == [False]
    thread.join(timeout=30)
    assert not thread.is_alive() and results == [False]


def test_expired_shown_flashes_are_purged(app: Any) -> None:
    now = datetime.now(UTC)
    with app.state.rc.db.transaction() as db:
        assert id_repo.mark_flash_shown(db, "b" * 32, now - timedelta(seconds=1))
        assert id_repo.mark_flash_shown(db, "c" * 32, now + timedelta(minutes=5))
    with app.state.rc.db.transaction() as db:
        id_repo.purge_shown_flashes(db, now)
        assert list(db.scalars(select(ShownFlash.id))) == ["c" * 32]


def test_two_tabs_showing_one_flash_at_once_show_it_once(live_server: Any) -> None:
    """Two requests for the page with the same flash, truly at once (a real server, each
    on its own connection): one shows the secret, the other nothing."""
    with httpx.Client(base_url=live_server.url, timeout=30) as c:
        c.get("/")
        form = {"csrf": c.cookies["rc_csrf"], "username": "alice"}
        form |= {"password": "password123", "password2": "password123"}
        assert c.post("/register", data=form).status_code == 303
        shop = {"csrf": c.cookies["rc_csrf"], "slug": "tea-house", "name": "Tea"}
        assert c.post("/dashboard/merchants", data=shop).status_code == 303
        key = {"csrf": c.cookies["rc_csrf"], "name": "till", "scopes": "offers:read"}
        assert c.post(f"{TEAM}/keys", data=key).status_code == 303
        jar = {name: c.cookies[name] for name in ("rc_session", "rc_csrf")}
        jar["rc_flash"] = str(c.cookies.get("rc_flash", path=TEAM))
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    start = threading.Barrier(2, timeout=30)
    shown: list[int] = []

    def view() -> None:
        with httpx.Client(base_url=live_server.url, timeout=30) as tab:
            start.wait()
            r = tab.get(TEAM, headers={"Cookie": cookie})
            assert r.status_code == 200
            shown.append(len(KEY.findall(r.text)))

    tabs = [threading.Thread(target=view) for _ in range(2)]
    for t in tabs:
        t.start()
    for t in tabs:
        t.join(timeout=60)
    assert len(shown) == 2 and sum(1 for n in shown if n) == 1, shown
