"""Sign-in and sign-up limits, per client address and per account, never a lockout.

- Sign-ups (and device accounts): so many per address (``signups_per_address``); other
  addresses are not affected.
- Wrong passwords, counted per address over all accounts (``login_failures_per_address``:
  one address cannot try many usernames), and per account and address
  (``login_attempts_per_minute``).
- Per account over all addresses (``login_failures_per_account``, tiers such as "10 per
  minute; 20 per 10 minutes"): a growing wait for strangers guessing one account's
  password from many addresses. It does not apply from an address this account signed
  in from (or registered from) in the last 30 days, so an attack on an account never
  locks its owner out at home; there only the owner's own address limits count.

Only failures count for sign-in (as in Warehouse): an office behind one address may sign
in all day. A check and its hit are two steps, so parallel attempts can overshoot a
limit by the number in flight; each costs a password hash, which bounds that.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from limits import RateLimitItem, RateLimitItemPerDay, parse, parse_many
from starlette.requests import Request

from relaycode.config import Settings
from relaycode.errors import AppError, RateLimited
from relaycode.identity.client_address import Network, client_address, parse_networks, rate_key
from relaycode.identity.ratelimit import RateLimitStore

# Marks "this account signed in from this address": one hit that lasts 30 days.
KNOWN = RateLimitItemPerDay(1, 30, namespace="known")


@dataclass(frozen=True)
class Check:
    rule: RateLimitItem
    key: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    signup: RateLimitItem
    per_address: RateLimitItem
    per_pair: RateLimitItem
    per_account: tuple[RateLimitItem, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            signup=parse(settings.signups_per_address),
            per_address=parse(settings.login_failures_per_address),
            per_pair=parse(f"{settings.login_attempts_per_minute} per minute"),
            per_account=tuple(parse_many(settings.login_failures_per_account)),
        )


class SignInThrottle:
    def __init__(self, store: RateLimitStore, rules: Rules, trusted: tuple[Network, ...]) -> None:
        self.store = store
        self.rules = rules
        self.trusted = trusted

    @classmethod
    def from_settings(cls, store: RateLimitStore, settings: Settings) -> SignInThrottle:
        return cls(store, Rules.from_settings(settings), parse_networks(settings.trusted_proxies))

    def address(self, request: Request) -> str:
        peer = request.client.host if request.client else None
        return client_address(peer, request.headers.getlist("x-forwarded-for"), self.trusted)

    def signup(self, request: Request, what: str) -> str:
        """Count a sign-up attempt from this address; returns the address."""
        address = self.address(request)
        check = Check(self.rules.signup, ("signup", what, rate_key(address)))
        if not self.store.hit(check.rule, *check.key):
            raise self._limited([check])
        return address

    def remember(self, account: str, address: str) -> None:
        """This address is the account's own: its sign-ins skip the per-account tiers."""
        bucket = rate_key(address)
        self.store.clear(KNOWN, account, bucket)
        self.store.hit(KNOWN, account, bucket)

    @contextmanager
    def login(self, request: Request, username: str) -> Iterator[None]:
        """Around a password check: refuse early when limited, count it when it fails."""
        account, address = username.strip().lower(), self.address(request)
        bucket = rate_key(address)
        checks = [
            Check(self.rules.per_address, ("login-address", bucket)),
            Check(self.rules.per_pair, ("login-pair", account, bucket)),
        ]
        tiers = [Check(rule, ("login-account", account)) for rule in self.rules.per_account]
        known = not self.store.test(KNOWN, account, bucket)
        applied = checks if known else checks + tiers
        over = [c for c in applied if not self.store.test(c.rule, *c.key)]
        if over:
            raise self._limited(over)
        try:
            yield
        except AppError as err:
            if err.status == 401:  # a wrong password or an unknown user, not a 422
                for check in checks + tiers:
                    self.store.hit(check.rule, *check.key)
            raise
        self.store.clear(checks[1].rule, *checks[1].key)
        self.remember(account, address)

    def _limited(self, over: list[Check]) -> RateLimited:
        wait = max(self.store.retry_after(c.rule, *c.key) for c in over)
        return RateLimited(
            f"too many attempts, try again in {wait} seconds",
            details={"retry_after": max(wait, 1)},
        )
