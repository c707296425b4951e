"""Format 2 (a share code made on a phone): layout, size budget, tampering."""

from __future__ import annotations

import segno
from hypothesis import given
from hypothesis import strategies as st

from relaycode.codes.classify import classify
from relaycode.codes.share_tokens import (
    TOKEN_BYTES,
    TOKEN_CHARS,
    ShareToken,
    decode_share_token,
    device_of_pid,
    device_pid,
    device_share_key,
    encode_share_token,
    make_share_body,
    share_url,
)
from relaycode.codes.tokens import TokenError

MASTER = bytes(range(32))
KEYS = {1: MASTER}
HOST24 = "SHOP-24-CHARS.EXAMPLE.CN"
ALPHA = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _reason(body: str) -> str | None:
    try:
        decode_share_token(body, KEYS.get)
    except TokenError as err:
        return err.reason
    return None


def test_layout_sizes() -> None:
    body = encode_share_token(1, MASTER, 42, bytes(16), 7)
    assert TOKEN_BYTES == 38 and len(body) == TOKEN_CHARS == 61
    token = decode_share_token(body, KEYS.get)
    assert (token.kid, token.device_id, token.counter, token.parent_id) == (1, 42, 7, bytes(16))
    assert token.body == body and token.path == "S" and len(token.code_id) == 16


def _qr(text: str) -> segno.QRCode:
    return segno.make_qr(text, error="m", boost_error=False)


def test_budget_fits_qr_version_5_at_m_with_a_24_character_host() -> None:
    """docs/code-format.md §4: the whole URL stays in alphanumeric mode and within QR
    version 5 at ECC M (122 alphanumeric characters; 154 is version 5 at L): with a
    24-character host it is 96 characters."""
    body = encode_share_token(255, MASTER, 2**63 - 1, b"\xff" * 16, 2**32 - 1)
    worst = share_url("HTTPS", HOST24, body)
    assert len(HOST24) == 24 and len(worst) == 96
    qr = _qr(worst)
    assert qr.mode == "alphanumeric"
    assert qr.version == 5  # version 4 at M holds 90
    assert qr.error == "M"
    # The longest host that still fits version 5 at M: 122 - len("HTTPS:///S/") - 61 = 50.
    assert _qr(share_url("HTTPS", "A" * 50, body)).version == 5
    assert _qr(share_url("HTTPS", "A" * 51, body)).version == 6


def test_the_phone_and_the_server_make_the_same_text() -> None:
    key, pid = device_share_key(MASTER, 9), device_pid(MASTER, 9)
    assert make_share_body(1, key, pid, b"p" * 16, 3) == encode_share_token(
        1, MASTER, 9, b"p" * 16, 3
    )


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_the_pseudonymous_id_decrypts_to_the_device(device: int) -> None:
    assert device_of_pid(MASTER, device_pid(MASTER, device)) == device


def test_pseudonymous_ids_do_not_show_the_device_number() -> None:
    pids = [device_pid(MASTER, i) for i in range(1, 200)]
    assert len(set(pids)) == len(pids)
    assert all(p[:4] != bytes(4) for p in pids)  # small row ids do not leave leading zeros


@given(st.integers(min_value=0, max_value=TOKEN_CHARS - 2), st.integers(min_value=1, max_value=31))
def test_any_changed_character_is_refused(where: int, delta: int) -> None:
    body = encode_share_token(1, MASTER, 4242, b"\x11" * 16, 1)
    changed = body[:where] + ALPHA[(ALPHA.index(body[where]) + delta) % 32] + body[where + 1 :]
    assert _reason(changed) in ("bad_tag", "malformed", "unknown_key")


def test_refusals() -> None:
    body = encode_share_token(1, MASTER, 4242, b"\x11" * 16, 1)
    assert _reason(body) is None
    assert _reason(body.lower()) is None
    assert _reason(body[:-1]) == "malformed"
    assert _reason(body + "A") == "malformed"
    assert _reason(body[:-1] + ALPHA[ALPHA.index(body[-1]) ^ 1]) == "malformed"  # padding bit
    assert _reason(encode_share_token(1, b"y" * 32, 4242, b"\x11" * 16, 1)) == "bad_tag"
    assert _reason(encode_share_token(2, MASTER, 4242, b"\x11" * 16, 1)) == "unknown_key"
    # A pid copied from one device with another device's key: bad_tag.
    mixed = make_share_body(1, device_share_key(MASTER, 1), device_pid(MASTER, 2), bytes(16), 0)
    assert _reason(mixed) == "bad_tag"


def test_classified_at_s_only() -> None:
    body = encode_share_token(1, MASTER, 4242, b"\x11" * 16, 1)
    hosts = frozenset({"RC.TEST"})
    c = classify(f"https://rc.test/s/{body.lower()}", hosts, KEYS.get)
    assert c.verdict == "ours" and isinstance(c.token, ShareToken)
    assert classify(f"HTTPS://RC.TEST/C/{body}", hosts, KEYS.get).reason == "malformed"
    assert classify(f"HTTPS://EVIL.TEST/S/{body}", hosts, KEYS.get).verdict == "foreign_url"
    assert classify(f"https://x@rc.test/S/{body}", hosts, KEYS.get).reason == "malformed"
