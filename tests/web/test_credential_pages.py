"""The credential pages: an issuer's template, issuing (one, CSV), the holder's claim,
code, forms, endorsement with refusals, revocation and the audit log."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from relaycode.credentials.service import audit
from relaycode.merchants import repository as merchant_repo

SLUG = "/dashboard/m/tea-house/credentials"
LINK = re.compile(r"data-issued-link>([^<]+)<")
TEXT = re.compile(r"data-code-text>([^<]+)<")


def _sign_up(app: Any, username: str) -> TestClient:
    other = TestClient(app)
    other.get("/")
    form = {
        "csrf": other.cookies["rc_csrf"],
        "username": username,
        "password": "password123",
        "password2": "password123",
    }
    assert other.post("/register", data=form, follow_redirects=False).status_code == 303
    return other


def _template(pages: Any, **extra: Any) -> str:
    form = {
        "kind": "bank_bill",
        "name": "Bill",
        "fields": "amount, Amount, money\nnote, Note, text, optional",
        "use_mode": "single",
        "forms": ["reference", "signed", "rotating"],
        "transferable": "1",
        "max_endorsements": "2",
        **extra,
    }
    r = pages.post(SLUG, form)
    assert r.status_code == 303, r.text[:500]
    return str(r.headers["location"])


def _issue(pages: Any, client: TestClient, path: str, holder: str) -> str:
    r = pages.post(f"{path}/items", {"holder": holder, "field.amount": "12.50"})
    assert r.status_code == 303, r.text[:500]
    shown = client.get(r.headers["location"])
    found = LINK.search(shown.text)
    assert found, shown.text[:2000]
    return found.group(1)


def test_issue_claim_show_endorse(pages: Any, client: TestClient, app: Any) -> None:
    pages.shop()
    sam = _sign_up(app, "sam")
    path = _template(pages)
    assert client.get(SLUG).status_code == 200 and "Bill" in client.get(SLUG).text
    printed = _issue(pages, client, path, "alice")
    link = "/C/" + printed.rsplit("/", 1)[-1]  # the printed link's path, on this test host
    # Someone else opening the printed code sees the generic refusal, never who holds it.
    refused = sam.get(link)
    assert refused.status_code == 403 and "alice" not in refused.text
    anon = TestClient(app).get(link)
    assert anon.status_code == 200 and "/login?next=" in anon.text
    claim = client.get(link)
    assert claim.status_code == 200 and "data-claim" in claim.text
    assert f'value="{printed}"' in claim.text
    r = pages.post("/me/credentials/claim", {"text": printed})
    assert r.status_code == 303
    mine = r.headers["location"]
    shown = client.get(mine)
    assert shown.status_code == 200 and "data-code-text" in shown.text
    assert "/C/" in TEXT.search(shown.text).group(1)  # type: ignore[union-attr]
    signed = client.get(mine + "?form=signed")
    assert TEXT.search(signed.text).group(1).startswith("CR1:")  # type: ignore[union-attr]
    rotating = client.get(mine + "?form=rotating")
    assert TEXT.search(rotating.text).group(1).startswith("CR4:")  # type: ignore[union-attr]
    assert "credential-show.js" in rotating.text
    listed = client.get("/me/credentials")
    assert mine.rsplit("/", 1)[-1] in listed.text and "Tea House" in listed.text
    # Refusals with their reason; nothing kept.
    self_ = pages.post(f"{mine}/endorse", {"to": "alice"})
    assert self_.status_code == 422 and "You hold it already" in self_.text
    nobody = pages.post(f"{mine}/endorse", {"to": "nobody-here"})
    assert nobody.status_code == 404 and "No user has this name" in nobody.text
    done = pages.post(f"{mine}/endorse", {"to": "sam"})
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert "data-code-text" not in after.text and "sam" in after.text
    theirs = sam.get("/me/credentials")
    assert "Bill" in theirs.text
    # The issuer sees the items, revokes sam's credential; the log records it all.
    tpl = client.get(path)
    assert "data-revoke" in tpl.text and "claimed" in tpl.text.lower()
    action = re.search(r'action="([^"]+/revoke/[0-9a-f]{32})"', tpl.text)
    assert action
    assert pages.post(action.group(1), {}).status_code == 303
    again = client.get(path)
    assert "data-revoke" not in again.text and "endorsed" in again.text.lower()


def test_csv_upload_all_or_none(pages: Any, client: TestClient) -> None:
    pages.shop()
    path = _template(pages)
    bad = "holder,amount\nalice,5\n,3\nalice,abc\n"
    r = pages.post(f"{path}/items/csv", {}, files={"file": ("b.csv", bad, "text/csv")})
    assert r.status_code == 422 and "data-row-errors" in r.text
    assert "<td>2</td>" in r.text and "<td>3</td>" in r.text
    assert "data-item=" not in client.get(path).text  # nothing issued
    good = "holder,amount,note\nalice,5,\n13800138000,7,hi\n"
    r = pages.post(f"{path}/items/csv", {}, files={"file": ("g.csv", good, "text/csv")})
    assert r.status_code == 303
    shown = client.get(r.headers["location"])
    assert "Issued 2." in shown.text and shown.text.count("data-item=") == 2


def test_bad_template_is_shown_back(pages: Any) -> None:
    pages.shop()
    r = pages.post(
        SLUG,
        {
            "kind": "bank_bill",
            "name": "B",
            "use_mode": "balance",
            "fields": "",
            "forms": ["reference"],
        },
    )
    assert r.status_code == 422 and "money field" in r.text


def test_others_see_no_template_or_credential(pages: Any, client: TestClient, app: Any) -> None:
    pages.shop()
    path = _template(pages)
    sam = _sign_up(app, "sam")
    assert sam.get(path, follow_redirects=False).status_code in (403, 404)
    link = _issue(pages, client, path, "alice")
    r = pages.post("/me/credentials/claim", {"text": link})
    mine = r.headers["location"]
    assert sam.get(mine).status_code == 403


def test_audit_reasons_are_words(pages: Any, client: TestClient, app: Any) -> None:
    # A refused redemption is logged with its code; the issuer reads the reason in words.
    pages.shop()
    path = _template(pages)
    with app.state.rc.db.transaction() as db:
        shop = merchant_repo.merchant_by_slug(db, "tea-house")
        assert shop is not None
        audit(db, shop.id, "redeem_refused", reason="already_redeemed")
        audit(db, shop.id, "revoked", reason="lost at the station")  # typed: as it is
    en = client.get(path, headers={"Accept-Language": "en"}).text
    assert "<td>Already redeemed.</td>" in en and "<td>already_redeemed</td>" not in en
    assert "<td>lost at the station</td>" in en
    zh = client.get(path, headers={"Accept-Language": "zh-CN"}).text
    assert "already_redeemed" not in zh
