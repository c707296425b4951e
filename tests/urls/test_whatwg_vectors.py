"""tests/vectors/urls/whatwg.json: our parser reads every URL as Chromium does, and the
verdict, the host shown and the link opened all follow from that one reading."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from relaycode.codes.classify import classify
from relaycode.urls.whatwg import parse
from relaycode.web.links import check_link

DOC = json.loads((Path(__file__).parents[1] / "vectors" / "urls" / "whatwg.json").read_text())
CASES: list[dict[str, Any]] = DOC["cases"]
KEYS = {int(k): bytes.fromhex(v) for k, v in DOC["keys"].items()}
OUR_HOSTS = frozenset(DOC["our_hosts"])


def expected_reading(case: dict[str, Any]) -> dict[str, str] | None:
    reading: dict[str, str] | None = case["whatwg"] if "whatwg" in case else case["chromium"]
    return reading


def _id(case: dict[str, Any]) -> str:
    text: str = case["input"]
    return text.encode("unicode_escape").decode("ascii")[:60]


def test_the_vectors_cover_what_the_issue_lists() -> None:
    inputs = "\n".join(c["input"] for c in CASES)
    needles = ["\\@", "\t", "\n", "%2F", "0x7f.1", "2130706433", "0177.0.0.1", "[::1]",
               "good.example./", "user:pass@", "HTTP://", "javascript:", "data:",
               "ɑpple"]  # fmt: skip
    for needle in needles:
        assert needle in inputs, needle
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_parser_reads_it_as_chromium_does(case: dict[str, Any]) -> None:
    url = parse(case["input"])
    want = expected_reading(case)
    got = None if url is None else {"href": url.href, "host": url.host, "hostname": url.hostname}
    assert got == want


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_classify_gives_the_reviewed_verdict(case: dict[str, Any]) -> None:
    c = classify(case["input"], OUR_HOSTS, KEYS.get)
    assert (c.verdict, c.reason, c.host) == (
        case["verdict"],
        case.get("reason"),
        case.get("shown"),
    )


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_verdict_shown_host_and_opened_link_agree(case: dict[str, Any]) -> None:
    c = classify(case["input"], OUR_HOSTS, KEYS.get)
    link = check_link(case["input"], frozenset({"rc.example.com"}))
    reading = expected_reading(case)
    if c.verdict == "foreign_url":
        assert reading is not None
        # The interstitial shows the host the classifier named, and opens what the
        # browser would have opened from the raw text.
        assert link.openable
        assert c.url == link.url == reading["href"]
        assert c.host == link.display_host
        assert link.host_ascii == reading["hostname"]
    elif c.verdict == "text":
        assert not link.openable
    else:  # ours / ours_invalid: the browser goes to one of our hosts
        assert reading is not None and reading["host"].upper() in OUR_HOSTS
