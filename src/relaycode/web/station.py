"""The verifier station (Figs. 7, 8, 11): a merchant's verifiers, staff and owners scan or
paste a presented credential and get a large verdict, redeem it, pair a paper bill with
the phone's credential, and keep working with no network.

The page is one GET; everything it does goes through the credential API from
static/station.js (POST /api/v1/verifications, /redemptions, the offline upload), so there
is no page form POST here. Its lists (trust list, revocations) live in the browser and the
service worker keeps the page itself, so it opens offline.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from relaycode.web import i18n
from relaycode.web.builtin_words import builtin_words
from relaycode.web.dashboard import MerchantPage
from relaycode.web.render import page
from relaycode.web.session import SignedInDep

router = APIRouter()

REASONS = (
    "expired", "revoked", "already_redeemed", "exhausted", "insufficient_balance",
    "not_holder", "wrong_merchant", "wrong_issuer", "bad_signature", "bad_tag", "bad_proof",
    "unknown_key", "not_yet_valid", "stale_presentation", "malformed", "not_ours",
    "not_a_credential", "unknown_code", "needs_network", "amount_required",
    "amount_not_allowed", "other",
)  # fmt: skip
WORDS = (
    *(f"reason.{r}" for r in REASONS),
    "verdict.valid", "verdict.invalid", "verdict.redeemed", "verdict.queued",
    "verdict.checking", "verdict.offline_note", "net.online", "net.offline", "lists.updated",
    "lists.never", "queue.count", "queue.uploaded", "queue.conflicts", "queue.refused",
    "pair.step_item", "pair.step_item_after",
    "pair.step_credential",
    "pair.match", "pair.no_match", "pair.needs_network", "redeem.retrying", "redeem.bad_amount",
    "detail.kind", "detail.template", "detail.holder", "detail.holder_line",
    "detail.status", "detail.uses_left",
    "detail.balance", "detail.valid_until", "detail.generation", "detail.credential",
    *(f"status.{s}" for s in ("active", "endorsed", "revoked", "exhausted", "expired")),
)  # fmt: skip


def station_path(slug: str) -> str:
    return f"/dashboard/m/{slug}/station"


@router.get("/dashboard/m/{slug}/station")
def station(request: Request, merchant: MerchantPage, principal: SignedInDep) -> Response:
    # MerchantPage admits the merchant's owners, staff and verifiers (READERS), read-only.
    t = i18n.Translator(i18n.pick_lang(request))
    # station.js says every verdict and reason in the page's language with no round trip
    # (it must work offline), so the words travel with the page as JSON data.
    words: dict[str, object] = {key: t(f"station.{key}") for key in WORDS}
    words["builtin"] = builtin_words(t.lang)  # receipts' and vouchers' labels (English when made)
    context = {"user": principal.user, "merchant": merchant, "words": words}
    return page(request, "station.html", context)
