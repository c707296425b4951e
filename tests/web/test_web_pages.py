"""The merchant's journey through the pages, and what a scanner sees at /C/<token>."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from relaycode.models import Offer, ScanEvent

DATA_CODE = re.compile(r'data-error-code="([a-z_]+)"')


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), "#3a7").save(buf, "PNG")
    return buf.getvalue()


def _offer(app: Any, offer_id: int) -> Offer:
    with app.state.rc.db.transaction() as db:
        offer = db.get(Offer, offer_id)
        assert offer is not None
        db.expunge(offer)
        return offer


def _scan_events(app: Any, source: str) -> int:
    app.state.rc.scans.flush()
    with app.state.rc.db.transaction() as db:
        q = select(func.count()).select_from(ScanEvent).where(ScanEvent.source == source)
        return int(db.scalar(q) or 0)


def test_merchant_journey_ends_on_the_offer_page(pages: Any, client: TestClient, app: Any) -> None:
    pages.register()
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200
    assert "alice" in dashboard.text

    r = pages.post("/dashboard/merchants", {"slug": "tea-house", "name": "Tea House"})
    assert (r.status_code, r.headers["location"]) == (303, "/dashboard/m/tea-house")
    assert "Tea House" in client.get("/dashboard").text
    assert client.get("/dashboard/m/tea-house/offers/new").status_code == 200

    client.cookies.set("rc_tz", "-480")  # the browser is at UTC+8
    form = {
        "title": "Green tea 250 g",
        "description": "First flush.\nHand-picked.",
        "price": "12.50",
        "currency": "CNY",
        "sku": "GT-250",
        "gtin": "4006381333931",
        "category": "Tea",
        "region": "Hangzhou",
        "sales_channel": "shop",
        "payment_methods": ["card", "alipay", "bogus"],
        "payee_account": "acct-1",
        "web_link": "https://tea.example.com/longjing",
        "valid_until": "2035-01-01T08:00",
    }
    r = pages.post("/dashboard/m/tea-house/offers/new", form,
                   files={"image": ("tea.png", _png(), "image/png")})  # fmt: skip
    assert r.status_code == 303, r.text
    offer_id = int(r.headers["location"].rsplit("/", 1)[-1])
    offer = _offer(app, offer_id)
    assert (offer.price_minor, offer.currency) == (1250, "CNY")
    assert offer.payment_methods == ["card", "alipay"]
    assert offer.gtin == "04006381333931"
    assert offer.valid_until == datetime(2035, 1, 1, 0, 0, tzinfo=UTC)
    assert offer.image_path

    admin = client.get(f"/dashboard/offers/{offer_id}")
    assert "CN¥12.50" in admin.text
    assert "/C/" not in admin.text  # no code yet
    r = pages.post(f"/dashboard/offers/{offer_id}/codes", {"channel": "poster"})
    assert r.status_code == 303
    code_id = r.headers["location"].split("issued=")[1].split("#")[0]
    admin = client.get(f"/dashboard/offers/{offer_id}")
    text = re.search(r"HTTPS://RC\.TEST/C/[A-Z2-7]{42}", admin.text)
    assert text, admin.text
    token = text.group(0).rsplit("/", 1)[-1]
    for fmt, media in (("svg", "image/svg+xml"), ("png", "image/png"), ("pdf", "application/pdf")):
        url = f"/api/v1/codes/{code_id}/image.{fmt}"
        assert f'href="{url}?download=1"' in admin.text
        image = client.get(url + "?download=1")
        assert image.status_code == 200
        assert image.headers["content-type"].startswith(media)
        assert image.headers["content-disposition"].startswith("attachment")

    seen = client.get(f"/C/{token}")
    assert seen.status_code == 200
    for part in ("Green tea 250 g", "Tea House", "CN¥12.50", "First flush.", "Hangzhou",
                 "tea.example.com/longjing", "Jan 1, 2035, 8:00 AM (UTC+08:00)"):  # fmt: skip
        assert part in seen.text
    assert "acct-1" not in seen.text  # the payee account is the merchant's business
    image_url = re.search(r'src="(/media/[^"]+)"', seen.text)
    assert image_url
    picture = client.get(image_url.group(1))
    assert (picture.status_code, picture.headers["content-type"]) == (200, "image/jpeg")

    lower = client.get(f"/c/{token.lower()}")  # typed by hand
    assert lower.status_code == 200
    assert "Green tea 250 g" in lower.text
    assert _scan_events(app, "link") == 2
    assert client.get(f"/C/{token}?seen=1").status_code == 200  # the scan page counted it
    switch = re.search(r'<a class="lang" href="([^"]+)"', seen.text)
    assert switch
    assert client.get(switch.group(1).replace("&amp;", "&")).status_code == 200
    assert "seen=1" in switch.group(1)  # changing language is not another scan
    assert _scan_events(app, "link") == 2


def test_refused_codes_say_why(pages: Any, client: TestClient, app: Any) -> None:
    shop = pages.shop()
    body = shop.token
    forged = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for path, status, reason in [
        (f"/C/{forged}", 400, "bad_tag"),
        ("/C/ABCDEF", 400, "malformed"),
        (f"/C/{body}X", 400, "malformed"),
    ]:
        r = client.get(path)
        assert (r.status_code, DATA_CODE.findall(r.text)) == (status, [reason]), path

    admin = client.get(f"/dashboard/offers/{shop.offer_id}").text
    code_id = re.search(r'id="code-([0-9a-f]{32})"', admin)
    assert code_id
    r = pages.post(f"/dashboard/codes/{code_id.group(1)}/revoke", {})
    assert r.status_code == 303
    revoked = client.get(f"/C/{body}")
    assert revoked.status_code == 410
    assert DATA_CODE.findall(revoked.text) == ["revoked"]
    assert "withdrawn by its issuer" in revoked.text
    zh = client.get(f"/C/{body}?lang=zh-CN")
    assert zh.status_code == 410
    assert "已被发行方撤销" in zh.text
    assert _scan_events(app, "link") == 5  # refused scans are counted too


def test_unknown_and_unknown_key_codes(pages: Any, client: TestClient, app: Any) -> None:
    from relaycode.codes.tokens import encode_token, new_code_id

    kid, secret = app.state.rc.keyring.active_hmac()
    unknown = encode_token(kid, secret, new_code_id())
    r = client.get(f"/C/{unknown}")
    assert (r.status_code, DATA_CODE.findall(r.text)) == (404, ["unknown_code"])
    stranger = encode_token(250, b"k" * 32, new_code_id())
    r = client.get(f"/C/{stranger}")
    assert (r.status_code, DATA_CODE.findall(r.text)) == (400, ["unknown_key"])


def test_expired_offer_is_gone(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    edit = client.get(f"/dashboard/offers/{shop.offer_id}/edit")
    version = re.search(r'name="version" value="(\d+)"', edit.text)
    assert version
    r = pages.post(f"/dashboard/offers/{shop.offer_id}/edit", {
        "title": "Green tea 250 g", "price": "12.50", "currency": "CNY",
        "valid_from": "2020-01-01T00:00", "valid_until": "2020-06-01T00:00",
        "version": version.group(1),
    })  # fmt: skip
    assert r.status_code == 303, r.text
    r = client.get(f"/C/{shop.token}")
    assert (r.status_code, DATA_CODE.findall(r.text)) == (410, ["expired"])


def test_paused_then_archived(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    status = f"/dashboard/offers/{shop.offer_id}/status"
    assert pages.post(status, {"action": "pause"}).status_code == 303
    paused = client.get(f"/C/{shop.token}")
    assert paused.status_code == 200
    assert "Temporarily unavailable" in paused.text
    assert "暂时无法提供" in client.get(f"/offers/{shop.offer_id}?lang=zh-CN").text
    assert pages.post(status, {"action": "activate"}).status_code == 303
    assert "Temporarily unavailable" not in client.get(f"/C/{shop.token}?lang=en").text
    assert pages.post(status, {"action": "archive"}).status_code == 303
    assert client.get(f"/C/{shop.token}").status_code == 410
    assert client.get(f"/offers/{shop.offer_id}").status_code == 410
    assert pages.post(status, {"action": "activate"}).status_code == 409


def test_offer_form_explains_mistakes(pages: Any, client: TestClient, app: Any) -> None:
    pages.register()
    pages.post("/dashboard/merchants", {"slug": "shop", "name": "Shop"})
    url = "/dashboard/m/shop/offers/new"
    cases = [
        ({"price": "12.345"}, "does not have that many decimals"),
        ({"price": "12,50"}, "can be read two ways here (1,250 / 12.5)"),
        ({"price": "1.2.3"}, "Write the price as a number"),
        ({"price": "$12"}, "not the chosen currency"),
        ({"price": "12.5", "currency": "JPY"}, "does not have that many decimals"),
        ({"gtin": "4006381333932"}, "not a valid product number"),
        ({"web_link": "javascript:alert(1)"}, "must be a full address"),
        ({"title": ""}, "Give the offer a title"),
        ({"valid_from": "2030-01-02T00:00", "valid_until": "2030-01-01T00:00"},
         "must be later than"),
        ({"valid_from": "tomorrow"}, "is not a date and time"),
    ]  # fmt: skip
    for extra, message in cases:
        r = pages.post(url, {"title": "Tea", "currency": "CNY", **extra})
        assert r.status_code == 422, extra
        assert message in r.text, extra
    bad_image = pages.post(
        url, {"title": "Tea"}, files={"image": ("x.png", b"not png", "image/png")}
    )
    assert bad_image.status_code == 422
    assert "not a picture we can use" in bad_image.text
    with app.state.rc.db.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Offer)) == 0  # nothing half-made
    r = pages.post(url, {"title": "Ramen", "price": "1,200", "currency": "JPY"})
    assert r.status_code == 303
    assert _offer(app, int(r.headers["location"].rsplit("/", 1)[-1])).price_minor == 1200


def test_edit_offer_and_version_conflict(pages: Any, client: TestClient, app: Any) -> None:
    shop = pages.shop()
    url = f"/dashboard/offers/{shop.offer_id}/edit"
    edit = client.get(url)
    assert 'value="12.50"' in edit.text
    version = re.search(r'name="version" value="(\d+)"', edit.text)
    assert version
    form = {"title": "Green tea 500 g", "price": "9.90", "currency": "CNY",
            "version": version.group(1)}  # fmt: skip
    untitled = pages.post(url, {**form, "title": " "})
    assert untitled.status_code == 422
    assert untitled.text.count("Give the offer a title") == 1
    assert pages.post(url, form).status_code == 303
    offer = _offer(app, shop.offer_id)
    assert (offer.title, offer.price_minor) == ("Green tea 500 g", 990)
    stale = pages.post(url, {**form, "title": "Stale"})
    assert stale.status_code == 409
    assert "changed this offer while you were editing" in stale.text
    assert _offer(app, shop.offer_id).title == "Green tea 500 g"


def test_pasted_text_goes_where_it_belongs(pages: Any, client: TestClient, app: Any) -> None:
    shop = pages.shop(gtin="4006381333931")
    cases = [
        ("4006381333931", f"/offers/{shop.offer_id}"),
        ("https://example.com/a b", "/scanned?text="),
        ("https://example.com/x?y=1", "/out?url=https%3A%2F%2Fexample.com%2Fx%3Fy%3D1"),
        ("hello <world>", "/scanned?text=hello%20%3Cworld%3E"),
        ("96385074", "/scanned?text=00000096385074"),  # a valid GTIN nobody sells here
        (shop.code_text, f"/C/{shop.token}?seen=1"),
        (shop.code_text.lower(), f"/C/{shop.token}?seen=1"),
    ]
    for text, target in cases:
        r = pages.post("/scan", {"text": text})
        assert r.status_code == 303, text
        assert r.headers["location"].startswith(target), (text, r.headers["location"])
    assert "Green tea 250 g" in client.get(f"/offers/{shop.offer_id}").text
    forged = shop.code_text[:-3] + ("AAA" if not shop.code_text.endswith("AAA") else "BBB")
    r = pages.post("/scan", {"text": forged})
    assert r.headers["location"] == "/scan/invalid?reason=bad_tag"
    invalid = client.get(r.headers["location"])
    assert (invalid.status_code, DATA_CODE.findall(invalid.text)) == (400, ["bad_tag"])
    assert _scan_events(app, "paste") == len(cases) + 1


def test_scanned_text_is_escaped(client: TestClient) -> None:
    r = client.get("/scanned", params={"text": "<script>alert(1)</script>"})
    assert r.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<script>alert" not in r.text
    gtin = client.get("/scanned", params={"text": "4006381333931"})
    assert "Scanned product number" in gtin.text


def test_media_serves_only_plain_names(client: TestClient) -> None:
    for path in ["/media/..%2F..%2Fetc%2Fpasswd", "/media/%2e%2e", "/media/x.exe",
                 "/media/.hidden.jpg", "/media/nothing-here.jpg"]:  # fmt: skip
        assert client.get(path).status_code == 404, path


def test_unknown_page_is_a_translated_404(client: TestClient) -> None:
    r = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in r.text
    assert "这个地址没有页面" in r.text
    api = client.get("/api/v1/no/such")
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"
