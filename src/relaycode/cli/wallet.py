"""``relaycode wallet grant`` — an operator's top-up of a user's wallet, through the ledger.

Exit codes: 0 granted (or, with the same --idempotency-key, granted before); 1 refused
(unknown user, unknown currency, amount not above zero, database error); 2 bad usage.
"""

from __future__ import annotations

import json

import typer

from relaycode.cli.common import console, one_line_errors, transaction
from relaycode.money import format_minor
from relaycode.payments import wallet as wallets

app = typer.Typer(no_args_is_help=True)


# Unknown options pass as arguments: "-5" is then an amount, refused in our own words.
@app.command("grant", context_settings={"ignore_unknown_options": True})
def grant(
    username: str = typer.Argument(..., help="Whose wallet to top up."),
    amount_minor: int = typer.Argument(..., help="How much, in minor units (fen, cents)."),
    currency: str = typer.Argument(..., help="ISO 4217 code, e.g. CNY."),
    memo: str = typer.Option(None, help="Why (kept with the ledger transaction)."),
    idempotency_key: str = typer.Option(
        None, "--idempotency-key", help="Run again with the same key: granted once only."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Credit USERNAME's wallet with AMOUNT_MINOR of CURRENCY (from the platform's grants
    account) and print the new balance."""
    with one_line_errors(), transaction() as db:
        key = f"grant:cli:{idempotency_key}" if idempotency_key else None
        done = wallets.grant_to(
            db,
            username,
            amount_minor,
            currency,
            memo=memo or "operator grant (command line)",
            idempotency_key=key,
        )
        result = {
            "username": done.user.username,
            "currency": done.wallet.currency,
            "amount_minor": done.amount_minor,
            "balance_minor": done.balance_minor,
            "transaction_id": done.transaction.id,
        }
    if as_json:
        typer.echo(json.dumps(result))
        return
    cur = str(result["currency"])
    console.print(
        f"granted {format_minor(done.amount_minor, cur, 'en')} to {result['username']}: "
        f"balance {format_minor(done.balance_minor, cur, 'en')} "
        f"({done.balance_minor} {cur}, transaction {done.transaction.id})",
        highlight=False,
    )
