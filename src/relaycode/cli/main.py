"""``relaycode`` — the command line: serve, demo, db, keys, codes."""

from __future__ import annotations

import typer

import relaycode.cli.codes as codes
import relaycode.cli.db as db
import relaycode.cli.demo as demo
import relaycode.cli.keys as keys
from relaycode.cli.common import settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
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


if __name__ == "__main__":
    app()
