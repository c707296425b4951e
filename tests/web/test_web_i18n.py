"""Both catalogues say the same things, and the language is chosen as promised."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from relaycode.catalog.schemas import OfferCreate
from relaycode.errors_http import _HTTP_CODES
from relaycode.web import i18n
from relaycode.web.offer_form import PAYMENT_METHODS
from relaycode.web.render import CODE_REASONS

WEB = Path(i18n.__file__).parent
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")
PY_KEY = re.compile(r'"((?:auth|offer|price|merchant|error|scan)\.[a-z0-9_.]+)"')


def _load(lang: str) -> dict[str, str]:
    return i18n.load_catalogue(WEB / "i18n", lang)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    en, zh = _load("en"), _load("zh-CN")
    assert set(en) == set(zh)
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert _fields(en[key]) == _fields(zh[key]), key


def test_every_key_the_pages_use_exists() -> None:
    en = _load("en")
    used: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(LITERAL_KEY.findall(template.read_text("utf-8")))
    for module in WEB.glob("*.py"):
        used |= set(PY_KEY.findall(module.read_text("utf-8")))
    used = {k for k in used if not k.endswith((".", ".html", ".js", ".css"))}  # file names
    # Keys built at run time from a known set of values:
    used |= {f"status.{s}" for s in ("active", "paused", "archived", "revoked", "expired")}
    used |= {f"pay.{m}" for m in PAYMENT_METHODS}
    used |= {f"role.{r}" for r in ("owner", "staff", "verifier")}
    used |= {f"offer_admin.{a}" for a in ("pause", "activate", "archive")}
    used |= {f"reason.{r}" for r in CODE_REASONS}
    used |= {f"out.refused.{p}" for p in ("scheme", "no_scheme", "malformed", "empty")}
    used |= {f"price.{p}" for p in ("negative", "not_a_number", "too_many_decimals", "too_large")}
    used |= {f"offer.invalid_{f}" for f in OfferCreate.model_fields} | {"offer.invalid_window"}
    used |= {f"error.http.{s}" for s in _HTTP_CODES} | {f"error.{c}" for c in _HTTP_CODES.values()}
    assert sorted(used - set(en)) == []


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("zh-TW", "zh-CN"),
        ("en-GB,en;q=0.9", "en"),
        ("fr-FR, de;q=0.8, zh;q=0.5, en;q=0.3", "zh-CN"),
        ("fr-FR, en;q=0.9, zh;q=0.5", "en"),
        ("zh;q=0, en", "en"),
        ("", None),
        ("de", None),
        ("garbage;;;q=x", None),
    ],
)
def test_accept_language(header: str, lang: str | None) -> None:
    assert i18n.from_accept_language(header) == lang


def test_query_then_cookie_then_header(client: TestClient) -> None:
    assert '<html lang="en">' in client.get("/").text
    zh = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-CN">' in zh.text
    assert "扫一扫" in zh.text
    chosen = client.get("/login?lang=zh-cn")
    assert '<html lang="zh-CN">' in chosen.text
    assert client.cookies["rc_lang"] == "zh-CN"
    assert '<html lang="zh-CN">' in client.get("/").text  # the cookie remembers
    back = client.get("/", params={"lang": "en"}, headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in back.text
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "zh"}).text


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/scan", "/scanned?text=a",
                                  "/out?url=https%3A%2F%2Fexample.com", "/nope"])  # fmt: skip
def test_every_page_links_to_the_other_language(client: TestClient, path: str) -> None:
    page = client.get(path)
    switch = re.search(r'<a class="lang" href="([^"]+)" lang="zh-CN"', page.text)
    assert switch, page.text
    target = switch.group(1).replace("&amp;", "&")
    assert "lang=zh-CN" in target
    other = client.get(target)
    assert '<html lang="zh-CN">' in other.text
    assert re.search(r'<a class="lang" href="[^"]+" lang="en"', other.text)


def test_a_page_in_both_languages(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    en = client.get(f"/C/{shop.token}?lang=en").text
    zh = client.get(f"/C/{shop.token}?lang=zh-CN").text
    assert "CN¥12.50" in en and "Genuine relaycode" in en
    assert "¥12.50" in zh and "relaycode 真码" in zh


def test_a_key_defined_in_two_fragments_is_refused(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en.json").write_text(json.dumps({"a.b": "x"}), "utf-8")
    (tmp_path / "en" / "shop.json").write_text(json.dumps({"shop.x": "y"}), "utf-8")
    assert i18n.load_catalogue(tmp_path, "en") == {"a.b": "x", "shop.x": "y"}
    (tmp_path / "en" / "wallet.json").write_text(json.dumps({"a.b": "z"}), "utf-8")
    with pytest.raises(ValueError, match=r"a\.b"):
        i18n.load_catalogue(tmp_path, "en")
