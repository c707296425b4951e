"""Property: whatever sequence of postings is tried, the ledger stays consistent.

Random transfers (some unbalanced across currencies, some overdrafts, some retried with
an idempotency key, some with the key reused for another movement) run against the real
database, each in its own transaction, next to a model of what the balances must be.
After every sequence ``ledger check`` passes and every balance is the model's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from relaycode.db.session import Database
from relaycode.errors import AppError
from relaycode.models import LedgerAccount
from relaycode.payments import ledger
from relaycode.payments.ledger_check import check

# (kind, currency, owner): index 0 and 3 are clearing accounts and may go negative.
ACCOUNTS = [
    ("provider_clearing", "CNY", "provider"),
    ("user_wallet", "CNY", "user:0"),
    ("user_wallet", "CNY", "user:1"),
    ("provider_clearing", "JPY", "provider"),
    ("user_wallet", "JPY", "user:0"),
    ("merchant", "CNY", "merchant"),
]
MAY_GO_NEGATIVE = {0, 3}
Op = tuple[int, int, int, int | None, bool]

ops = st.lists(
    st.tuples(
        st.integers(0, len(ACCOUNTS) - 1),  # from
        st.integers(0, len(ACCOUNTS) - 1),  # to
        st.integers(1, 500),  # amount
        st.none() | st.integers(0, 3),  # idempotency key, from a small pool
        st.booleans(),  # split the credit over a second account of the currency
    ).filter(lambda op: op[0] != op[1]),
    max_size=25,
)
_run = itertools.count()


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=ops)
def test_any_sequence_of_postings_keeps_the_ledger_consistent(
    db: Database,
    make_user: Callable[[str], int],
    make_merchant: Callable[[str], int],
    sequence: list[Op],
) -> None:
    run = next(_run)  # fresh owners per example: the database outlives the examples
    users = [make_user(f"u{run}x{i}") for i in range(2)]
    merchant = make_merchant(f"m{run}")
    provider = f"p{run}"

    def accounts(s: Session) -> list[LedgerAccount]:
        return _accounts(s, users, merchant, provider)

    with db.transaction() as s:
        accounts(s)  # all made, even for an empty sequence
    model = [0] * len(ACCOUNTS)
    used: dict[int, list[tuple[int, int]]] = {}
    for src, dst, amount, key_no, split in sequence:
        lines = _lines(src, dst, amount, split)
        expected = _expect(model, lines, key_no, used)
        key = None if key_no is None else f"r{run}:k{key_no}"
        with db.transaction() as s:
            accts = accounts(s)
            try:
                ledger.post(
                    s, kind="move", lines=[(accts[i], a) for i, a in lines], idempotency_key=key
                )
                outcome = "ok"
            except AppError as err:
                outcome = err.code
        assert outcome == expected, (lines, key, model)
        if outcome == "ok" and not (key_no is not None and key_no in used):
            for i, a in lines:
                model[i] += a
            if key_no is not None:
                used[key_no] = lines
    with db.read_transaction() as s:
        report = check(s)
        assert report.ok, report.to_dict()
        assert [a.balance_minor for a in accounts(s)] == model


def _lines(src: int, dst: int, amount: int, split: bool) -> list[tuple[int, int]]:
    currency = ACCOUNTS[dst][1]
    other = next(
        (i for i, a in enumerate(ACCOUNTS) if a[1] == currency and i not in (src, dst)), None
    )
    if split and other is not None and amount > 1:
        half = amount // 2
        return [(src, -amount), (dst, amount - half), (other, half)]
    return [(src, -amount), (dst, amount)]


def _expect(
    model: list[int],
    lines: list[tuple[int, int]],
    key_no: int | None,
    used: dict[int, list[tuple[int, int]]],
) -> str:
    per_currency: dict[str, int] = {}
    for i, a in lines:
        per_currency[ACCOUNTS[i][1]] = per_currency.get(ACCOUNTS[i][1], 0) + a
    if any(per_currency.values()):
        return "invalid_posting"
    if key_no is not None and key_no in used:
        return "ok" if sorted(used[key_no]) == sorted(lines) else "idempotency_key_reused"
    for i, a in lines:
        if a < 0 and i not in MAY_GO_NEGATIVE and model[i] + a < 0:
            return "insufficient_funds"
    return "ok"


def _accounts(s: Session, users: list[int], merchant: int, provider: str) -> list[LedgerAccount]:
    """The example's accounts, in ACCOUNTS order (made where missing, if writable)."""
    out = []
    for kind, currency, owner in ACCOUNTS:
        if owner == "provider":
            out.append(ledger.account(s, kind, currency, provider=provider))
        elif owner == "merchant":
            out.append(ledger.account(s, kind, currency, merchant_id=merchant))
        else:
            uid = users[int(owner.split(":")[1])]
            out.append(ledger.account(s, kind, currency, user_id=uid))
    return out
