"""``relaycode payments …`` — payment providers: the Stripe webhook signing secret."""

from __future__ import annotations

import typer

from relaycode.cli.common import console, fail, settings
from relaycode.payments.stripe_secrets import WebhookSecretError, WebhookSecrets

app = typer.Typer(no_args_is_help=True)


@app.command("webhook-secret")
def webhook_secret(
    rotate: bool = typer.Option(False, "--rotate", help="Make a new active secret first."),
    retire_old: bool = typer.Option(
        False, "--retire-old", help="Stop accepting every secret but the active one."
    ),
) -> None:
    """Print the Stripe webhook signing secret relaycode keeps (made on first use).

    With real Stripe the secret is Stripe's: set RELAYCODE_STRIPE_WEBHOOK_SECRET instead.
    After --rotate the previous secret keeps verifying until --retire-old."""
    try:
        secrets = WebhookSecrets.from_settings(settings())
        if rotate:
            secrets.rotate()
        if retire_old:
            dropped = secrets.retire_old()
            console.print(
                f"retired {dropped} older secret{'s' if dropped != 1 else ''}", style="dim"
            )
        typer.echo(secrets.active())
    except WebhookSecretError as exc:
        raise fail(str(exc)) from None
