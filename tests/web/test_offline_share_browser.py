"""Sharing offline in real Chromium (claim 5): A signs in and opens an offer while
online (the page fetches the device's share key, the service worker keeps the page);
the network goes; A presses Share and the page makes the child code itself, shows its
text and a QR drawn on the phone; offline, "my codes" and the offer page still open.
Back online, a second browser resolves the code: it answers A as the sharer, and the
lineage is recorded. The same page also runs the format-2 vectors in Chromium.

``RELAYCODE_SHOTS_DIR=/tmp/shots`` also keeps the screenshots.
"""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select
from web.test_shares_browser import new_page, seed, shot, sign_in

from relaycode.models import Code, User

pytestmark = pytest.mark.browser
VECTORS = sorted((Path(__file__).parents[1] / "vectors" / "offline").glob("make-*.json"))
SHARE_TEXT = re.compile(r"HTTP://127\.0\.0\.1:\d+/S/[A-Z2-7]{61}")

KEY_RECORD = """async (pid) => {
  const db = await new Promise((ok, no) => {
    const r = indexedDB.open("relaycode-offline", 1); r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  });
  const rec = await new Promise((ok) => {
    const r = db.transaction("keys").objectStore("keys").get(pid); r.onsuccess = () => ok(r.result);
  });
  let exported = "refused";
  try { await crypto.subtle.exportKey("raw", rec.key); exported = "exported"; } catch {}
  return { type: rec.key.type, extractable: rec.key.extractable, alg: rec.key.algorithm.name,
           exported, keys: Object.keys(rec).sort() };
}"""

RUN_VECTORS = """async (vectors) => {
  const sc = await import("/static/share-code.js");
  const out = [];
  for (const v of vectors) {
    const i = v.input;
    const key = await sc.importShareKey(sc.fromHex(i.share_key));
    const made = await sc.makeShareCode({ kid: i.kid, key, pid: i.device_pid, prefix: i.prefix },
                                        i.parent_text, i.counter);
    out.push([made.code, made.id, made.parent]);
  }
  return out;
}"""


def qr_of(page: Any) -> tuple[str, int, str]:
    """(text, version, EC level) of the QR picture the page drew (a data: URL)."""
    src = page.locator("[data-share-qr]").get_attribute("src")
    assert src and src.startswith("data:image/gif;base64,"), src
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L")
    [found] = zxingcpp.read_barcodes(image)
    extra: Any = found.extra
    return found.text, int(extra["Version"]), str(extra["ECLevel"])


def test_share_offline_then_resolve_online(
    live_server: Any, launch_chromium: Any, tmp_path: Path
) -> None:
    base, world = live_server.url, seed(live_server)
    browser = launch_chromium()
    a = new_page(browser)
    sign_in(a, base, "alice")
    a.goto(f"{base}/offers/{world['offer_id']}")
    a.wait_for_function("() => document.documentElement.dataset.offlineShare === 'ready'")
    a.wait_for_function("() => document.documentElement.dataset.offlineKept === 'yes'")
    # "Kept" means stored: the worker answered only after both pages were in its cache.
    stored = "async (u) => !!(await (await caches.open('rc-pages')).match(u, {ignoreVary: true}))"
    assert a.evaluate(stored, "/me/codes") and a.evaluate(stored, f"/offers/{world['offer_id']}")
    a.wait_for_function("() => navigator.serviceWorker.controller !== null")
    pid = a.locator("[data-action=share]").get_attribute("data-device-pid")
    record = a.evaluate(KEY_RECORD, pid)
    fields = ["counter", "key", "kid", "pid", "prefix"]  # never the key's text
    assert record == {"type": "secret", "extractable": False, "alg": "HMAC",
                      "exported": "refused", "keys": fields}  # fmt: skip

    # The network goes; the page that is open makes the code itself.
    a.context.set_offline(True)
    assert a.evaluate("navigator.onLine") is False
    a.click("[data-action=share]")
    shown = a.locator("[data-code-text]")
    shown.wait_for(state="visible")
    child = shown.inner_text().strip()
    assert SHARE_TEXT.fullmatch(child), child
    assert a.locator("[data-share-offline-note]").is_visible()
    a.wait_for_function("() => document.querySelector('[data-share-qr]').naturalWidth > 0")
    text, version, level = qr_of(a)
    assert text == child and version <= 5 and level == "M"
    assert (
        a.input_value("[data-share-link]")
        == child.lower().rsplit("/s/", 1)[0] + "/S/" + (child.rsplit("/", 1)[-1])
    )
    shot(a, tmp_path, "offline-1-made")
    # Pressing it again, still offline, shows the same code.
    a.click("[data-action=share]")
    a.wait_for_timeout(200)
    assert shown.inner_text().strip() == child

    # Offline, the service worker still opens "my codes" (listing the code made here)
    # and the offer page, whose share tool still works.
    a.goto(f"{base}/me/codes")
    made = a.locator("[data-offline-made] [data-offline-code]")
    made.first.wait_for(state="visible")
    assert made.count() == 1 and made.get_attribute("data-offline-code") == child
    assert a.locator("[data-offline-saved]").is_visible()  # "the copy saved on this phone"
    shot(a, tmp_path, "offline-2-my-codes")
    a.goto(f"{base}/offers/{world['offer_id']}")
    a.click("[data-action=share]")
    a.locator("[data-code-text]").wait_for(state="visible")
    assert a.locator("[data-code-text]").inner_text().strip() == child
    with live_server.app.state.rc.db.transaction() as db:
        assert db.scalars(select(Code).where(Code.kind == "share")).all() == []
    assert a.problems == [] or all("net::ERR_INTERNET_DISCONNECTED" in p for p in a.problems)

    # Back online: anyone resolving it finds A as the sharer; the lineage is recorded.
    a.context.set_offline(False)
    answer = httpx.post(f"{base}/api/v1/scan", json={"text": child}, timeout=30).json()
    assert answer["verdict"] == "ours", answer
    assert answer["sharer"]["username"] == "alice"
    state = live_server.app.state.rc
    with state.db.transaction() as db:
        row = db.scalars(select(Code).where(Code.kind == "share")).one()
        alice = db.scalars(select(User).where(User.username == "alice")).one()
    assert (row.parent_id, row.depth, row.holder_user_id) == (world["root_id"], 1, alice.id)
    assert (row.channel, row.format_version, row.id) == ("offline", 2, answer["code"]["id"])

    b = new_page(browser)
    b.goto(f"{base}/S/{child.rsplit('/', 1)[-1]}")
    assert b.locator("[data-shared-by] .sharer").inner_text() == "Shared by Alice"
    shot(b, tmp_path, "offline-3-resolved")
    # A's "my codes", online again, lists it as registered (and not twice).
    a.goto(f"{base}/me/codes")
    assert a.locator(f"[data-share-id='{row.id}']").count() == 1
    a.wait_for_function("() => !document.querySelector('[data-offline-made]').hidden")
    assert a.locator("[data-offline-made] [data-offline-code]").count() == 0


def test_share_code_js_in_chromium_meets_the_vectors(
    live_server: Any, launch_chromium: Any
) -> None:
    vectors = [json.loads(p.read_text()) for p in VECTORS]
    page = new_page(launch_chromium())
    page.goto(live_server.url + "/")
    got = page.evaluate(RUN_VECTORS, vectors)
    want = [[v["expected"]["text"], v["expected"]["code_id"], v["expected"]["parent_id"]]
            for v in vectors]  # fmt: skip
    assert got == want
