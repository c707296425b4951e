"""The commission rules pages through their HTML forms: the merchant's rules with a
worked example, errors beside the form, the live preview, an offer's own rules."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from relaycode.web import commission_form
from relaycode.web.i18n import load_catalogue

RULES_PAGE = "/dashboard/m/tea-house/commissions"
TEN_FIVE = {"max_depth": "2", "currency": "CNY", "level_1_percent": "10",
            "level_2_percent": "5", "window_days": "30", "hold_days": "7",
            "bind_mode": "last_touch", "version": "0"}  # fmt: skip


def _lines(html: str) -> list[str]:
    items = re.findall(r'<li class="line-\w+">(.*?)</li>', html, re.S)
    return [re.sub(r"\s+", " ", li).strip() for li in items]


def _api_rules(client: TestClient) -> dict[str, Any]:
    # The cookie session is good for the API's reads as well.
    r = client.get("/api/v1/merchants/tea-house/commission-rules")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_merchant_sets_rules_and_sees_what_a_sale_pays(pages: Any) -> None:
    pages.shop()
    client = pages.client
    first = client.get(RULES_PAGE)
    assert first.status_code == 200
    assert "data-commission-form" in first.text
    assert "On a CN¥199.00 sale:" in first.text
    assert "nobody earns a commission" in first.text
    r = pages.post(RULES_PAGE, {**TEN_FIVE, "cap": "", "platform_percent": "1"})
    assert r.status_code == 303 and r.headers["location"] == RULES_PAGE + "?saved=1"
    saved = client.get(RULES_PAGE + "?saved=1")
    assert "data-saved" in saved.text
    assert _lines(saved.text)[:4] == [
        "level 1 earns CN¥19.90",
        "level 2 earns CN¥9.95",
        "the platform earns CN¥1.99",
        "level 3 and beyond earn nothing",
    ]
    assert "You keep CN¥167.16." in _lines(saved.text)
    assert 'value="10"' in saved.text and 'value="5"' in saved.text
    api = _api_rules(client)
    assert api["version"] == 1
    assert [lv["percent_bp"] for lv in api["rules"]["levels"]] == [1000, 500]
    assert api["rules"]["platform_percent_bp"] == 100
    # The form sent from a page loaded before that save is refused, not applied.
    stale = pages.post(RULES_PAGE, {**TEN_FIVE, "level_1_percent": "20"})
    assert stale.status_code == 409
    assert "Someone changed these rules" in stale.text
    assert _api_rules(client)["rules"]["levels"][0]["percent_bp"] == 1000


def test_a_cap_a_minimum_and_fixed_amounts_in_the_example(pages: Any) -> None:
    pages.shop()
    form = {**TEN_FIVE, "cap": "25", "level_1_fixed": "1.50", "example": "199", "intent": "preview"}
    r = pages.post(RULES_PAGE, form)
    assert r.status_code == 200  # a preview: nothing saved
    assert _lines(r.text)[:3] == [
        "level 1 earns CN¥17.07",  # 21.40 : 9.95 of the ¥25.00 cap is 17.065 : 7.935
        "level 2 earns CN¥7.93",
        "level 3 and beyond earn nothing",
    ]
    assert any("the cap of CN¥25.00 is shared" in line for line in _lines(r.text))
    assert _api_rules(pages.client)["configured"] is False
    small = pages.post(RULES_PAGE, {**form, "min_order": "200"})
    assert "no commission: below the minimum order of CN¥200.00" in _lines(small.text)


def test_preview_answers_the_example_alone(pages: Any) -> None:
    pages.shop()
    r = pages.client.get(RULES_PAGE + "/preview", params={**TEN_FIVE, "example": "1,000.00"})
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<div class="commission-example-body"')
    assert "On a CN¥1,000.00 sale:" in r.text
    assert _lines(r.text)[:2] == ["level 1 earns CN¥100.00", "level 2 earns CN¥50.00"]
    bad = pages.client.get(RULES_PAGE + "/preview", params={**TEN_FIVE, "level_1_percent": "abc"})
    assert "Fix these to see the example" in bad.text
    assert "Level 1 percentage: write a percentage such as 10 or 12.5." in bad.text
    assert _api_rules(pages.client)["configured"] is False
    assert pages.client.post(RULES_PAGE + "/preview", data=TEN_FIVE).status_code == 405


def test_rules_that_cannot_be_used_are_shown_beside_the_form(pages: Any) -> None:
    pages.shop()
    cases = [
        ({"level_1_percent": "101"}, "Level 1 percentage: a percentage from 0 to 100."),
        (
            {"level_1_percent": "60", "level_2_percent": "30", "platform_percent": "11"},
            "The percentages add up to more than 100%.",
        ),
        ({"level_3_percent": "1"}, "A level beyond the levels paid is filled in"),
        (
            {"cap": "12.345"},
            "Most paid on one sale, in all: this currency does not have that many decimals.",
        ),
        ({"window_days": "thirty"}, "A scan counts for (days): write a whole number of days."),
        ({"hold_days": "999"}, "Pending for (days): from 0 to 365 days."),
        ({"max_depth": "4"}, "Levels paid: more levels than this platform allows."),
    ]
    for change, message in cases:
        r = pages.post(RULES_PAGE, {**TEN_FIVE, **change})
        assert r.status_code == 422, change
        assert message in r.text.replace("&#39;", "'"), change
    assert _api_rules(pages.client)["configured"] is False


def test_an_offer_gets_its_own_rules_and_goes_back(pages: Any) -> None:
    shop = pages.shop(price="199.00")
    client = pages.client
    admin = f"/dashboard/offers/{shop.offer_id}"
    own = admin + "/commissions"
    assert "No commission rules are set" in client.get(admin).text
    pages.post(RULES_PAGE, TEN_FIVE)
    page = client.get(admin).text
    assert "This offer follows the merchant" in page
    assert "Level 1: 10%" in page and "Level 2: 5%" in page
    assert "level 1 earns CN¥19.90" in _lines(page)
    form = client.get(own)
    assert form.status_code == 200 and 'value="199.00"' in form.text  # the offer's price
    r = pages.post(own, {**TEN_FIVE, "max_depth": "1", "level_1_percent": "20",
                         "level_2_percent": ""})  # fmt: skip
    assert r.status_code == 303, r.text
    page = client.get(admin).text
    assert "own" in page and "level 1 earns CN¥39.80" in _lines(page)
    r = pages.post(own, {**TEN_FIVE, "intent": "reset", "version": "1"})
    assert r.status_code == 303
    assert "This offer follows the merchant" in client.get(admin).text
    api = client.get(f"/api/v1/offers/{shop.offer_id}/commission-rules").json()
    assert api["source"] == "merchant" and api["version"] == 2


def test_chinese_pages(pages: Any) -> None:
    pages.shop()
    pages.post(RULES_PAGE, TEN_FIVE)
    zh = pages.client.get(RULES_PAGE + "?lang=zh-CN", headers={"Accept-Language": "zh-CN"})
    assert "佣金规则" in zh.text and "一笔 ¥199.00 的订单：" in zh.text
    assert "第 1 级获得 ¥19.90" in _lines(zh.text)


def test_only_owners_open_the_rules(app: Any, pages: Any) -> None:
    shop = pages.shop()
    with TestClient(app) as other:
        stranger = type(pages)(other)
        stranger.register("bob")
        assert other.get(RULES_PAGE).status_code == 403
        assert other.get(f"/dashboard/offers/{shop.offer_id}/commissions").status_code == 403
        r = stranger.post(RULES_PAGE, TEN_FIVE)
        assert r.status_code == 403
        assert other.get(RULES_PAGE + "/preview", params=TEN_FIVE).status_code == 403
    assert _api_rules(pages.client)["configured"] is False


def test_percentages_are_read_as_people_type_them() -> None:
    read = commission_form.percent_bp
    assert [read(v) for v in ("10", "12.5", "12,5", "0.05", "１２．５％", "7 %", "100")] == [
        1000, 1250, 1250, 5, 1250, 700, 10_000,
    ]  # fmt: skip
    for bad in ("", "ten", "1.234", "-5", "1e2", "1000"):
        try:
            read(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    assert [commission_form.percent_input(bp) for bp in (1000, 1250, 5, 0)] == [
        "10",
        "12.5",
        "0.05",
        "",
    ]


def test_every_blocked_reason_has_words_in_both_languages() -> None:
    from pathlib import Path

    from relaycode.referrals.commission_math import BLOCK_REASONS
    from relaycode.web import i18n

    folder = Path(i18n.__file__).parent / "i18n"
    for lang in ("en", "zh-CN"):
        catalogue = load_catalogue(folder, lang)
        for reason in BLOCK_REASONS:
            assert f"commission.reason.{reason}" in catalogue
