"""relaycode — the command line: serve, demo, admin, db, keys, codes."""

from __future__ import annotations

import sys

import typer

import relaycode.cli.admin as admin
import relaycode.cli.codes as codes
import relaycode.cli.db as db
import relaycode.cli.demo as demo
import relaycode.cli.keys as keys
from relaycode.cli.common import settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(admin.app, name="admin", help="Instance administration: operators.")
app.add_typer(db.app, name="db", help="Database migrations.")
app.add_typer(keys.app, name="keys", help="Signing keys: list, rotate, retire.")
app.add_typer(codes.app, name="codes", help="Issue, render, decode, inspect and print codes.")
app.command("demo")(demo.demo)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Serve the API, the pages and the code links."""
    import uvicorn

    s = settings()
    typer.echo(f"relaycode on http://{host}:{port}  (data: {s.data_dir}, codes for {s.public_url})")
    uvicorn.run(
        "relaycode.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=True,
    )


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
