"""Every list, in the API and on the pages, given any cursor a client can forge: never a
5xx. A cursor is ours to decode, so whatever JSON it holds is answered with the page or
a 400 ``bad_cursor`` (the database's own range and text errors must never be reached)."""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

API = [
    "/api/v1/merchants",
    "/api/v1/merchants/tea-house/offers",
    "/api/v1/merchants/tea-house/members",
    "/api/v1/merchants/tea-house/api-keys",
    "/api/v1/me/devices",
    "/api/v1/offers/{offer}/codes",
]
PAGES = [
    ("/dashboard", "cursor"),
    ("/dashboard/m/tea-house", "cursor"),
    ("/dashboard/offers/{offer}", "cursor"),
    ("/dashboard/m/tea-house/team", "members"),
    ("/dashboard/m/tea-house/team", "keys"),
    ("/account/devices", "cursor"),
]
TARGETS = [(path, "cursor", True) for path in API] + [(p, q, False) for p, q in PAGES]
NAMES = ["offers", "codes", "merchants", "members", "devices", "api_keys"]

_offsets = st.integers(-1439, 1439).map(
    lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
)
_times = st.builds(lambda d, off: {"t": d.isoformat() + off}, st.datetimes(), _offsets) | st.builds(
    lambda s: {"t": s}, st.text(max_size=40)
)
_ints = (
    st.integers()
    | st.integers(min_value=2**31 - 2, max_value=2**64 + 2)  # past int4, int8, uint64
    | st.integers(min_value=-(2**64), max_value=-(2**31) + 2)
    | st.integers(min_value=2**64, max_value=10**120)
)
_texts = (
    st.text(max_size=300)  # past the columns' lengths
    | st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=4)  # NUL, controls
    | st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=2)
)
_scalars = st.none() | st.booleans() | st.floats() | _ints | _texts | _times
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
_shaped = st.tuples(
    st.sampled_from(NAMES) | st.text(max_size=10), st.lists(_scalars, max_size=3)
).map(list)
_KIND = {"int": _ints, "str": _texts, "time": _times}

# The list each target pages and the kinds of its key values.
LIST_OF = {
    "/api/v1/merchants": ("merchants", ("str", "int")),
    "/api/v1/merchants/tea-house/offers": ("offers", ("int",)),
    "/api/v1/merchants/tea-house/members": ("members", ("str", "int")),
    "/api/v1/merchants/tea-house/api-keys": ("api_keys", ("int",)),
    "/api/v1/me/devices": ("devices", ("int",)),
    "/api/v1/offers/{offer}/codes": ("codes", ("time", "str")),
    "/dashboard": ("merchants", ("str", "int")),
    "/dashboard/m/tea-house": ("offers", ("int",)),
    "/dashboard/offers/{offer}": ("codes", ("time", "str")),
    "/dashboard/m/tea-house/team?members": ("members", ("str", "int")),
    "/dashboard/m/tea-house/team?keys": ("api_keys", ("int",)),
    "/account/devices": ("devices", ("int",)),
}


def _for(name: str, kinds: tuple[str, ...]) -> st.SearchStrategy[list[Any]]:
    """A cursor of the right list and shape, each value of its column's kind but hostile
    (mostly) or of any kind at all."""
    values = [_KIND[k] | _scalars if i % 2 else _KIND[k] for i, k in enumerate(kinds)]
    return st.tuples(*values).map(lambda v: [name, list(v)])


def _encode(data: Any) -> str:
    raw = json.dumps(data, allow_nan=True).encode("utf-8", "surrogatepass")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_generic = st.one_of(
    _shaped.map(_encode),
    _json.map(_encode),
    st.text(max_size=80),
    st.binary(max_size=60).map(lambda b: base64.urlsafe_b64encode(b).decode()),
)


def test_no_forged_cursor_is_a_server_error(pages: Any, client: TestClient) -> None:
    shop = pages.shop()
    r = client.post("/api/v1/auth/login", json={"username": "alice", "password": "password123"})
    headers = auth(r.json()["token"])

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(target=st.sampled_from(TARGETS), data=st.data())
    def check(target: tuple[str, str, bool], data: st.DataObject) -> None:
        path, param, api = target
        name, kinds = LIST_OF[path if param == "cursor" else f"{path}?{param}"]
        shaped = _for(name, kinds).map(_encode)
        cursor = data.draw(st.one_of(shaped, shaped, shaped, _generic), label="cursor")
        url = path.format(offer=shop.offer_id)
        r = client.get(url, params={param: cursor}, headers=headers if api else {})
        assert r.status_code < 500, (url, cursor, r.text[:200])
        assert r.status_code in (200, 400, 422), (url, cursor, r.status_code)
        if r.status_code == 400 and api:
            assert r.json()["error"]["code"] == "bad_cursor"

    check()
