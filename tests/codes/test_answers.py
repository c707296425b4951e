"""The scan answer is built as a dict and serialised once: it must be, byte for byte, what
the ``ScanOut`` model would give, and its offer part what ``to_public`` gives."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import to_json

from relaycode.catalog.service import to_public
from relaycode.codes.answers import answer_doc, offer_doc
from relaycode.codes.classify import Classification
from relaycode.codes.keys import Keyring
from relaycode.codes.repository import CodeRow, GtinRow, OfferRow, ResolveRow
from relaycode.codes.schemas import CodeOut, ScanOut
from relaycode.codes.tokens import OnlineToken, encode_token
from relaycode.config import Settings

SETTINGS = Settings(public_url="https://rc.test", data_dir=Path("/nonexistent"))
text_or_none = st.none() | st.text(max_size=20)
when = st.none() | st.datetimes(timezones=st.just(UTC))
offers = st.builds(
    OfferRow,
    id=st.integers(1, 2**40),
    merchant_id=st.integers(1, 99),
    title=st.text(max_size=30),
    description=st.text(max_size=30),
    image_path=text_or_none,
    price_minor=st.integers(0, 10**12),
    currency=st.sampled_from(["CNY", "EUR", "JPY"]),
    category=text_or_none,
    region=text_or_none,
    payment_methods=st.lists(st.sampled_from(["wallet", "cash", "card"]), max_size=3),
    web_link=text_or_none,
    status=st.sampled_from(["active", "paused", "archived"]),
    valid_from=when,
    valid_until=when,
)


@given(offer=offers, merchant=st.text(max_size=20))
def test_offer_part_is_to_public(offer: OfferRow, merchant: str) -> None:
    assert offer_doc(offer, merchant) == to_public(offer, merchant).model_dump()


@given(
    offer=st.none() | offers,
    status=st.sampled_from(["active", "revoked", "expired"]),
    expires=when,
    channel=text_or_none,
    merchant=st.none() | st.text(max_size=10),
    created=st.datetimes(timezones=st.just(UTC)),
)
def test_the_answer_serialises_as_scan_out_would(
    offer: OfferRow | None,
    status: str,
    expires: datetime | None,
    channel: str | None,
    merchant: str | None,
    created: datetime,
) -> None:
    ring = _ring()
    kid, secret = ring.active_hmac()
    cid = bytes(range(16))
    code = CodeRow(cid.hex(), "offer", offer.id if offer else None, None, None, 0, channel,
                   status, kid, 1, created, expires)  # fmt: skip
    token = OnlineToken(1, kid, cid, body=encode_token(kid, secret, cid))
    now = datetime(2030, 1, 1, tzinfo=UTC)
    cases: list[tuple[Classification, ResolveRow | GtinRow | None]] = [
        (Classification("ours", token=token), ResolveRow(code, offer, merchant)),
        (Classification("ours", token=token), None),
        (Classification("ours_invalid", reason="bad_tag", message="no"), None),
        (Classification("foreign_url", host="例え.jp", url='https://例え.jp/"x"'), None),
        (Classification("gtin", gtin="06901234567892"), None),
        (Classification("text"), None),
    ]
    if offer is not None:
        cases.append((Classification("gtin", gtin="06901234567892"), GtinRow(offer, "M")))
    for c, row in cases:
        doc, _ = answer_doc(c, row, SETTINGS, ring, "some text é", now)
        model = ScanOut.model_validate(doc)
        assert list(doc) == list(ScanOut.model_fields)
        assert to_json(doc) == model.model_dump_json().encode()
        if doc["code"] is not None:
            assert list(doc["code"]) == list(CodeOut.model_fields)


_RING: list[Keyring] = []


def _ring() -> Keyring:
    if not _RING:
        import tempfile

        _RING.append(Keyring.for_data_dir(Path(tempfile.mkdtemp())))
    return _RING[0]
