"""The demo's API tokens, the buyer's wallet top-up and the merchant's commission rules
(``relaycode demo``).

Tokens are kept only as hashes in the database, so the demo keeps the secrets it made
in ``<data dir>/demo-tokens.json`` (0600, beside the keyring) and prints the same ones
on every run while they still work; a token revoked, expired or lost with a reset
database is replaced by a new one. Demo only: these accounts share a published password.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from relaycode.config import Settings
from relaycode.identity import service as identity
from relaycode.models import Merchant, User
from relaycode.payments import wallet
from relaycode.privatefile import write_private_text
from relaycode.referrals import commission_rules
from relaycode.referrals.commission_math import CommissionRules, LevelRule

TOKENS_FILE = "demo-tokens.json"
DEVICE_LABEL = "relaycode demo"
TOPUP = (100_000, "CNY")  # the buyer's wallet: CN¥1,000.00, granted once
LEVEL_1_BP = 1000  # whoever shared to the buyer earns 10 % of the sale


def saved_tokens(settings: Settings) -> dict[str, str]:
    path = settings.data_dir / TOKENS_FILE
    try:
        data = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def save_tokens(settings: Settings, tokens: dict[str, str]) -> None:
    path: Path = settings.data_dir / TOKENS_FILE
    write_private_text(path, json.dumps(tokens, indent=2, sort_keys=True) + "\n", overwrite=True)


def api_token(db: Session, settings: Settings, user: User, saved: dict[str, str]) -> str:
    """A bearer API token of ``user``: the saved one while it works, else a new one."""
    secret = saved.get(user.username or "")
    if secret:
        session = identity.resolve_session(db, secret)
        if session is not None and session.user_id == user.id:
            return secret
    device = identity.attach_device(db, user, None, DEVICE_LABEL)
    started = identity.start_session(
        db, user, device, kind="api", days=settings.session_days, name="demo"
    )
    return started.secret


def top_up(db: Session, buyer: User) -> int:
    """Grant the buyer's wallet its demo money once (an idempotency key), whatever the
    number of runs; the wallet's balance now."""
    amount, currency = TOPUP
    done = wallet.grant(
        db,
        buyer,
        amount,
        currency,
        memo="demo top-up",
        idempotency_key=f"demo:topup:{buyer.id}:{currency}",
    )
    return done.balance_minor


def commission_rules_once(db: Session, merchant: Merchant, *, operator_max_depth: int) -> None:
    """Give the demo merchant rules that pay the sharer, unless it has rules already (an
    operator who changed them in the dashboard keeps theirs on the next run)."""
    if commission_rules.merchant_row(db, merchant.id) is not None:
        return
    rules = CommissionRules(
        currency=TOPUP[1],
        levels=(LevelRule(LEVEL_1_BP, 0),),
        max_depth=1,
        operator_max_depth=operator_max_depth,
        hold_days=7,
    )
    commission_rules.set_merchant_rules(db, merchant, rules, expected_version=None)
