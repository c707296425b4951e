"""The share parts of the offer and share pages, link previews, the shop, "my codes" and
the review form, through the TestClient the way the HTML forms use them."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, issue, merchant_with_offer, register
from PIL import Image
from sqlalchemy import select, update

from relaycode.catalog import service as catalog
from relaycode.catalog.schemas import OfferCreate
from relaycode.db.base import utcnow
from relaycode.merchants import repository as merchant_repo
from relaycode.models import Offer, ShareReview

META = re.compile(r'<meta (?:property|name)="([a-z:]+)" content="([^"]*)">')


def _meta(page: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in META.findall(page)}


def _web_login(client: TestClient, username: str, password: str = "correct horse 1") -> None:
    client.get("/login")
    csrf = next(v for k, v in client.cookies.items() if k.endswith("rc_csrf"))
    form = {"username": username, "password": password, "csrf": csrf, "next": "/"}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:300]


def _csrf(client: TestClient) -> str:
    return next(v for k, v in client.cookies.items() if k.endswith("rc_csrf"))


def _world(client: TestClient) -> dict[str, Any]:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner, description="Loose leaf.\nFrom Hangzhou.")
    text = issue(client, owner, offer["id"])
    alice = register(client, "alice")
    share = client.post("/api/v1/shares", json={"code": text}, headers=auth(alice)).json()
    return {"owner": owner, "offer": offer, "text": text, "alice": alice, "share": share}


def _path(text: str) -> str:
    return "/C/" + text.rsplit("/", 1)[-1]


def test_offer_and_share_pages_carry_link_preview_tags(client: TestClient) -> None:
    w = _world(client)
    meta = _meta(client.get(f"/offers/{w['offer']['id']}").text)
    assert meta["og:title"] == "Green tea 250 g"
    assert meta["og:description"] == "Loose leaf. From Hangzhou."
    assert meta["og:url"] == f"https://rc.test/offers/{w['offer']['id']}"
    # No picture of its own: the offer's code stands in for it, as an absolute URL.
    assert meta["og:image"] == "https://rc.test" + _path(w["text"]) + "/qr.png"
    assert meta["twitter:card"] == "summary"
    r = client.put(
        f"/api/v1/shares/{w['share']['id']}/review",
        json={"rating": 4, "text": 'Lovely "first flush" <b>tea</b>'},
        headers=auth(w["alice"]),
    )
    assert r.status_code == 200
    page = client.get(_path(w["share"]["code"])).text
    meta = _meta(page)
    assert meta["og:url"] == w["share"]["url"]
    assert meta["og:description"] == 'Shared by alice. “Lovely "first flush" <b>tea</b>”'
    assert "<b>tea</b>" not in page  # escaped wherever it is shown
    assert meta["og:image"].endswith(_path(w["share"]["code"]) + "/qr.png")
    # With a picture of its own, the offer's picture is the preview.
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "PNG")
    r = client.put(
        f"/api/v1/offers/{w['offer']['id']}/image", content=buf.getvalue(), headers=auth(w["owner"])
    )
    assert r.status_code == 200, r.text
    meta = _meta(client.get(_path(w["share"]["code"])).text)
    assert meta["og:image"] == "https://rc.test" + r.json()["image_url"]
    assert meta["twitter:card"] == "summary_large_image"
    # Preview images are fetchable by anyone.
    png = client.get(_path(w["share"]["code"]) + "/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"].startswith("public")


def test_the_share_control_for_signed_in_and_signed_out_readers(client: TestClient) -> None:
    w = _world(client)
    page = client.get(_path(w["text"])).text
    link = re.search(r'<a class="[^"]*" data-action="share" href="([^"]+)"', page)
    assert link, page
    target = html.unescape(link.group(1))
    assert target.startswith("/login?next=/C/") and "seen%3D1" in target and "share%3D1" in target
    assert "data-parent-code" not in page
    _web_login(client, "alice")
    page = client.get(f"/offers/{w['offer']['id']}").text
    button = re.search(r'<button [^>]*data-action="share" data-parent-code="([^"]+)"', page)
    assert button and button.group(1) == w["text"]  # the offer page shares its code
    assert "data-code-text" in page and "share.js" in page
    page = client.get(_path(w["share"]["code"]) + "?seen=1").text
    button = re.search(r'data-action="share" data-parent-code="([^"]+)"', page)
    assert button and button.group(1) == w["share"]["code"]


def test_an_offer_with_no_code_that_scans_has_no_share_control(client: TestClient) -> None:
    owner = register(client, "owner")
    offer = merchant_with_offer(client, owner)
    page = client.get(f"/offers/{offer['id']}").text
    assert 'data-action="share"' not in page
    assert _meta(page)["og:image"].startswith("https://rc.test/static/og-default.png")
    code = issue(client, owner, offer["id"])
    code_id = client.post("/api/v1/scan", json={"text": code}).json()["code"]["id"]
    client.post(f"/api/v1/codes/{code_id}/revoke", headers=auth(owner))
    assert 'data-action="share"' not in client.get(f"/offers/{offer['id']}").text


def test_a_share_page_shows_the_sharer_review_and_other_reviews(client: TestClient) -> None:
    w = _world(client)
    second = merchant_with_offer(client, w["owner"], slug="shop2", title="Oolong 100 g")
    other_code = issue(client, w["owner"], second["id"])
    other = client.post("/api/v1/shares", json={"code": other_code}, headers=auth(w["alice"]))
    for share, rating, text in ((w["share"], 5, "Sweet"), (other.json(), 3, "Roasted, smoky")):
        r = client.put(
            f"/api/v1/shares/{share['id']}/review",
            json={"rating": rating, "text": text},
            headers=auth(w["alice"]),
        )
        assert r.status_code == 200
    page = client.get(_path(w["share"]["code"])).text
    assert "Shared by alice" in page and "Sweet" in page
    assert "Other reviews by alice" in page and "Oolong 100 g" in page and "Roasted, smoky" in page
    assert 'aria-label="3 of 5 stars"' in page and 'href="' + _path(other.json()["code"]) in page
    assert "data-review-form" not in page  # only the sharer edits it
    # zh-CN
    page = client.get(_path(w["share"]["code"]) + "?lang=zh-CN").text
    assert "由 alice 分享" in page and "alice 的其他评价" in page


def test_the_sharer_edits_the_review_on_their_share_page(client: TestClient, app: Any) -> None:
    w = _world(client)
    _web_login(client, "alice")
    path = _path(w["share"]["code"])
    page = client.get(path + "?seen=1").text
    assert "data-review-form" in page
    action = f"/me/codes/{w['share']['id']}/review"
    form = {"csrf": _csrf(client), "rating": "4", "text": "Grassy.\r\nGood."}
    form["next"] = path + "?seen=1"
    r = client.post(action, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == path + "?seen=1"
    with app.state.rc.db.transaction() as db:
        review = db.get(ShareReview, w["share"]["id"])
        assert review is not None and (review.rating, review.text) == (4, "Grassy.\nGood.")
    # Wrong input is said on "my codes", nothing saved.
    for bad, message in (({"rating": "9"}, "Choose a rating"), ({"text": "x" * 2001}, "2,000")):
        r = client.post(action, data={**form, "rating": "4", **bad}, follow_redirects=False)
        assert r.status_code == 422 and message in r.text
    r = client.post(action, data={**form, "csrf": "wrong"}, follow_redirects=False)
    assert r.status_code == 403
    # A next that leaves the site is ignored.
    r = client.post(action, data={**form, "next": "//evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == f"/me/codes#share-{w['share']['id']}"
    r = client.post(action, data={**form, "action": "delete"}, follow_redirects=False)
    assert r.status_code == 303
    with app.state.rc.db.transaction() as db:
        assert db.get(ShareReview, w["share"]["id"]) is None


def test_nobody_else_edits_a_review(client: TestClient) -> None:
    w = _world(client)
    register(client, "bob")
    _web_login(client, "bob")
    action = f"/me/codes/{w['share']['id']}/review"
    r = client.post(action, data={"csrf": _csrf(client), "rating": "1"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post(action, data={"csrf": _csrf(client), "rating": "99"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/me/codes/nothex/review", data={"csrf": _csrf(client)})
    assert r.status_code in (404, 422)


def test_my_codes_lists_my_shares_with_scan_counts(client: TestClient, app: Any) -> None:
    w = _world(client)
    r = client.get("/me/codes", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/me/codes")
    for agent in ("Twitterbot/1.0", "Mozilla/5.0 (Android 14) Chrome/120 Mobile"):
        scan = {"text": w["share"]["code"]}
        client.post("/api/v1/scan", json=scan, headers={"user-agent": agent})
    app.state.rc.scans.flush()
    _web_login(client, "alice")
    page = client.get("/me/codes").text
    assert f'id="share-{w["share"]["id"]}"' in page and 'data-scans="1"' in page
    assert "Green tea 250 g" in page and w["share"]["code"] in page
    assert "/qr.png?download=1" in page
    # The merchant's code cards count scans the same way.
    client.cookies.clear()
    _web_login(client, "owner")
    page = client.get(f"/dashboard/offers/{w['offer']['id']}").text
    assert 'data-scans="1"' in page and "Shared, generation 1" in page


def test_the_shop_lists_the_offers_on_sale_a_page_at_a_time(client: TestClient, app: Any) -> None:
    w = _world(client)
    state = app.state.rc
    now = utcnow()
    with state.db.transaction() as db:
        merchant = merchant_repo.merchant_by_slug(db, "shop")
        assert merchant is not None
        for i in range(52):
            catalog.create_offer(db, merchant, OfferCreate(title=f"Tea no. {i}", price_minor=100))
        hidden: dict[str, dict[str, Any]] = {
            "Paused tea": {"status": "paused"},
            "Archived tea": {"status": "archived"},
            "Ended tea": {"valid_until": now - timedelta(days=1)},
            "Future tea": {"valid_from": now + timedelta(days=1)},
        }
        for title, values in hidden.items():
            offer = catalog.create_offer(db, merchant, OfferCreate(title=title, price_minor=1))
            db.flush()
            db.execute(update(Offer).where(Offer.id == offer.id).values(**values))
    first = client.get("/shop/shop")
    assert first.status_code == 200
    ids = re.findall(r'data-shop-offer="(\d+)"', first.text)
    assert len(ids) == 50
    more = re.search(r'href="(/shop/shop\?cursor=[^"#]+)', first.text)
    assert more
    second = client.get(html.unescape(more.group(1))).text
    ids += re.findall(r'data-shop-offer="(\d+)"', second)
    with state.db.transaction() as db:
        on_sale = db.scalars(
            select(Offer.id).where(Offer.title.not_in(list(hidden))).order_by(Offer.id.desc())
        ).all()
    assert [int(i) for i in ids] == list(on_sale) and len(ids) == 53
    for title in hidden:
        assert title not in first.text + second
    assert client.get("/shop/nope").status_code == 404
    assert client.get("/shop/shop?cursor=garbage").status_code == 400
    # The offer page links to it.
    assert 'href="/shop/shop"' in client.get(f"/offers/{w['offer']['id']}").text


def test_code_pictures_need_a_code_that_verifies(client: TestClient) -> None:
    w = _world(client)
    token = w["share"]["code"].rsplit("/", 1)[-1]
    svg = client.get(f"/C/{token}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert client.get(f"/c/{token.lower()}/qr.png").status_code == 200
    r = client.get(f"/C/{token}/qr.png?download=1")
    assert r.headers["content-disposition"].startswith("attachment;")
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    bads = (f"/C/{flipped}/qr.png", f"/C/{token}/qr.gif", "/C/ABC/qr.svg", f"/C/{'A' * 500}/qr.png")
    for bad in bads:
        assert client.get(bad).status_code == 404, bad
