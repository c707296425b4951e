"""relaycode — the command line: serve, worker, demo, admin, db, keys, codes, payments, wallet,
ledger, commissions,
credentials, verify."""

from __future__ import annotations

import sys

import typer

import relaycode.cli.admin as admin
import relaycode.cli.codes as codes
import relaycode.cli.commissions as commissions
import relaycode.cli.credentials as credentials
import relaycode.cli.db as db
import relaycode.cli.demo as demo
import relaycode.cli.keys as keys
import relaycode.cli.ledger as ledger
import relaycode.cli.payments as payments
import relaycode.cli.serve as serve
import relaycode.cli.verify as verify
import relaycode.cli.wallet as wallet
import relaycode.cli.worker as worker

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(admin.app, name="admin", help="Instance administration: operators.")
app.add_typer(db.app, name="db", help="Database migrations.")
app.add_typer(keys.app, name="keys", help="Signing keys: list, rotate, retire, export, import.")
app.add_typer(codes.app, name="codes", help="Issue, render, decode, inspect and print codes.")
app.add_typer(payments.app, name="payments", help="Payment providers: the Stripe webhook secret.")
app.add_typer(wallet.app, name="wallet", help="Wallets: an operator's top-up grant.")
app.add_typer(ledger.app, name="ledger", help="The wallet ledger: check its consistency.")
app.add_typer(commissions.app, name="commissions", help="Commissions: release those due.")
app.add_typer(
    credentials.app, name="credentials", help="Credentials: issue items, one or from a CSV."
)
app.command("demo")(demo.demo)


app.command()(serve.serve)
app.command()(worker.worker)
app.command()(verify.verify)


def main() -> None:
    """Entry point: bad usage ends in one line on stderr, like every other error here."""
    try:
        # Not standalone: a typer.Exit(code) comes back as the return value.
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # click's usage and parameter errors
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if message:  # empty when the help was shown for a bare command
            print(f"error: {message}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
