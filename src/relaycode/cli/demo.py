"""``relaycode demo`` — an idempotent seed for the five-minute tour."""

from __future__ import annotations

import json
from typing import Any

import typer
from sqlalchemy.orm import Session

from relaycode.catalog import repository as catalog_repo
from relaycode.catalog.schemas import OfferCreate
from relaycode.catalog.service import create_offer
from relaycode.cli import demo_accounts, demo_credentials, demo_game
from relaycode.cli.common import console, keyring, one_line_errors, transaction
from relaycode.cli.serve import follow_served_address, settings_for_codes
from relaycode.codes import repository as code_repo
from relaycode.codes import service as codes
from relaycode.codes.keys import Keyring
from relaycode.config import Settings
from relaycode.identity import repository as id_repo
from relaycode.identity import service as identity
from relaycode.identity.passwords import Passwords
from relaycode.identity.schemas import RegisterIn
from relaycode.merchants import repository as merchant_repo
from relaycode.merchants import service as merchants
from relaycode.models import Code, Merchant, User
from relaycode.money import format_minor
from relaycode.receipts import paycodes

DEMO_PASSWORD = "relaycode-demo"
MERCHANT = ("demo-teahouse", "明前茶社 Spring Tea House")
USERS = ("merchant", "alice", "bob")
# The demo's own administrator: nobody becomes one by registering.
OPERATOR = "operator"
# Who plays which part in the referral tour (issue 6): alice shares, bob buys.
REFERRER, BUYER = "alice", "bob"
OFFERS: list[dict[str, Any]] = [
    {
        "title": "Longjing green tea 250 g · 龙井绿茶",
        "price_minor": 12800,
        "currency": "CNY",
        "sku": "LJ-250",
        "gtin": "6901234567892",
        "category": "tea",
        "region": "Hangzhou",
        "payment_methods": ["wallet", "alipay", "wechat"],
        "sales_channel": "catalogue",
        "description": "First-flush Longjing from West Lake, picked before Qingming.",
    },
    {
        "title": "Tea tasting for two · 双人品茶",
        "price_minor": 19900,
        "currency": "CNY",
        "sku": "TASTE-2",
        "category": "service",
        "region": "Hangzhou",
        "payment_methods": ["wallet", "card"],
        "description": "A one-hour guided tasting of six teas. Book at the counter.",
    },
    {
        "title": "Gift card 100 · 礼品卡",
        "price_minor": 10000,
        "currency": "CNY",
        "sku": "GIFT-100",
        "category": "voucher",
        "payment_methods": ["wallet"],
        "description": "Redeemable in all our shops.",
    },
]


def _user(db: Session, pw: Passwords, username: str) -> User:
    user = id_repo.user_by_username(db, username)
    if user is None:
        user = identity.register(
            db,
            pw,
            RegisterIn(username=username, password=DEMO_PASSWORD, display_name=username.title()),
        )
    return user


def _person(user: User, token: str) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "token": token}


def _payment_code(
    db: Session, s: Settings, ring: Keyring, merchant: Merchant, owner: User
) -> dict[str, Any]:
    """The merchant's first payment code, made once (a re-run finds it again)."""
    pc = paycodes.first_of(db, merchant.id) or paycodes.create(
        db, ring, merchant, currency="CNY", methods=["wallet"], label="Demo till", actor=owner
    )
    code = db.get(Code, pc.code_id)
    return {"id": pc.id, "text": codes.code_text(s, ring, code) if code else None}


def demo(
    as_json: bool = typer.Option(False, "--json", help="Print the ids as JSON."),
    host: str = typer.Option(
        None, help="Print codes for 'serve --host' (no RELAYCODE_PUBLIC_URL)."
    ),
    port: int | None = typer.Option(None, help="… and 'serve --port' (either alone is enough)."),
) -> None:
    """Seed a merchant with offers and codes, and two consumers (safe to run again).

    Codes carry RELAYCODE_PUBLIC_URL, else --host/--port, else the address a running
    'relaycode serve' recorded, else the default (said on stderr)."""
    if host is not None or port is not None:
        follow_served_address(host or "127.0.0.1", 8000 if port is None else port)
    s, ring = settings_for_codes(), keyring()
    pw = Passwords(s.argon2_memory_kib, s.argon2_time_cost)
    saved = demo_accounts.saved_tokens(s)
    with one_line_errors(), transaction() as db:
        users = {name: _user(db, pw, name) for name in USERS}
        tokens = {n: demo_accounts.api_token(db, s, users[n], saved) for n in USERS}
        balance = demo_accounts.top_up(db, users[BUYER])
        operator = _user(db, pw, OPERATOR)
        operator.is_operator = True
        merchant = merchant_repo.merchant_by_slug(db, MERCHANT[0]) or merchants.create_merchant(
            db, users["merchant"], *MERCHANT
        )
        demo_accounts.commission_rules_once(db, merchant, operator_max_depth=s.commission_max_depth)
        offers: list[dict[str, Any]] = []
        for spec in OFFERS:
            offer = catalog_repo.offer_by_sku(db, merchant.id, spec["sku"]) or create_offer(
                db, merchant, OfferCreate(**spec)
            )
            existing = code_repo.codes_of_offer(db, offer.id, limit=1)
            code = (
                existing[0] if existing else codes.issue_offer_code(db, ring, offer, channel="demo")
            )
            offers.append(
                {
                    "id": offer.id,
                    "title": offer.title,
                    "code_id": code.id,
                    "code": codes.code_text(s, ring, code),
                }
            )
        result = {
            "merchant": {
                "id": merchant.id,
                "slug": merchant.slug,
                "name": merchant.name,
                "username": users["merchant"].username,
                "token": tokens["merchant"],
            },
            "referrer": _person(users[REFERRER], tokens[REFERRER]),
            "buyer": {
                **_person(users[BUYER], tokens[BUYER]),
                "wallet": {"currency": demo_accounts.TOPUP[1], "balance_minor": balance},
            },
            "users": {n: {"id": u.id, "username": u.username} for n, u in users.items()},
            "operator": {"id": operator.id, "username": operator.username},
            "password": DEMO_PASSWORD,
            "offers": offers,
        }
        # Added by the combining game (docs/games.md); the keys above stay as they were.
        game = demo_game.seed(db, s, ring, merchant, lambda name: _user(db, pw, name))
        result["game"] = game
        # Added by credentials (docs/credentials.md): a bank bill to claim, endorse, redeem.
        creds, more_tokens = demo_credentials.seed(
            db, s, ring, users["merchant"], lambda name: _user(db, pw, name),
            lambda u: demo_accounts.api_token(db, s, u, saved),
        )  # fmt: skip
        tokens.update(more_tokens)
        result["credentials"] = creds
        # Added by receipts (docs/receipts.md): the demo merchant's payment code, to pay.
        result["payment_code"] = _payment_code(db, s, ring, merchant, users["merchant"])
    if tokens != saved:
        with one_line_errors():
            demo_accounts.save_tokens(s, tokens)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    console.print(f"demo merchant [bold]{merchant.name}[/bold] ({merchant.slug})")
    console.print(f"sign in as merchant / alice / bob with password [bold]{DEMO_PASSWORD}[/bold]")
    console.print(f"operator (administers every merchant): [bold]{OPERATOR}[/bold], same password")
    for o in offers:
        console.print(f"  offer {o['id']}: {o['title']}\n    {o['code']}")
    console.print(f"  combining game, offer {game['offer_id']}: {game['title']}")
    # Its own line, as the offers' codes: rich wraps at 80 columns when piped (make run).
    console.print(f"    O + H + H → water:\n    {game['water']}")
    topped = format_minor(balance, demo_accounts.TOPUP[1], "en")
    console.print(f"{BUYER} buys (wallet {topped}), {REFERRER} refers; API tokens: demo --json")
    c, station = creds, s.public_url + "/dashboard/m/{}/station"
    console.print(
        f"{c['holder']['username']} claims a bank bill and endorses it to"
        f" {c['second']['username']} ({c['second']['phone']}); {c['verifier']['username']}"
        " redeems it at the bank's station (same password):",
        soft_wrap=True,
    )
    console.print(f"    the bill: {c['item']['text']}", soft_wrap=True)
    console.print(
        f"    the bank's station: {station.format(demo_credentials.BANK[0])}", soft_wrap=True
    )
    console.print(
        f"    the hall's door (a ticket): {station.format(demo_credentials.HALL[0])}",
        soft_wrap=True,
    )
