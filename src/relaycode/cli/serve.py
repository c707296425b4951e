"""``relaycode serve``, and the base URL codes carry when none is configured.

Codes carry RELAYCODE_PUBLIC_URL; without it, the address being served. ``serve``
records that base URL in ``<data_dir>/public_url`` so that the commands which issue or
print codes while it runs (or later: paper outlives processes) write the same one:
they take RELAYCODE_PUBLIC_URL, else the recorded URL, else the default, and say so on
stderr when it is the default.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import typer

from relaycode.cli.common import err_console, keyring, one_line_errors, settings
from relaycode.config import Settings, get_settings
from relaycode.privatefile import PrivateFileError, write_private_text
from relaycode.state import AppState
from relaycode.urls import whatwg

_ANY = ("0.0.0.0", "::", "")


def _lan_address() -> str | None:
    """This machine's address on its default route, or None (no network needed).

    ``connect`` on a UDP socket sends nothing: the kernel only picks the route and
    the local address it would use (192.0.2.1 is TEST-NET-1, never a real host).
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))
            address = str(sock.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _url(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a name such as localhost
    return f"http://{host}" + ("" if port == 80 else f":{port}")


def follow_served_address(host: str, port: int) -> str | None:
    """Unless RELAYCODE_PUBLIC_URL is set, codes carry the address being served.

    Sets the variable for this process and the uvicorn workers it starts. Returns a
    note for the operator when the listening address is not one a phone can open.
    """
    if "public_url" in get_settings().model_fields_set:
        return None
    note = None
    if host in _ANY:
        lan = _lan_address()
        host = lan or "127.0.0.1"
        note = (
            f"listening on all interfaces; codes carry {_url(host, port)} "
            f"({'this machine’s LAN address' if lan else 'no LAN address found'}): "
            f"set RELAYCODE_PUBLIC_URL to the address phones should open"
        )
    os.environ["RELAYCODE_PUBLIC_URL"] = _url(host, port)
    get_settings.cache_clear()
    return note


def _record_file(data_dir: Path) -> Path:
    return data_dir / "public_url"


def record_served_url(s: Settings) -> None:
    """Remember the base URL this server's codes carry, for the CLI (0600, atomic)."""
    try:
        write_private_text(_record_file(s.data_dir), s.public_url + "\n", overwrite=True)
    except (OSError, PrivateFileError) as exc:
        err_console.print(
            f"[yellow]warning:[/yellow] cannot record the served address ({exc}); "
            "commands that print codes will use RELAYCODE_PUBLIC_URL or the default",
            highlight=False,
            soft_wrap=True,
        )


def recorded_url(data_dir: Path) -> str | None:
    """The base URL the last ``relaycode serve`` on this data directory recorded."""
    try:
        text = _record_file(data_dir).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    url = whatwg.parse(text) if text else None
    return text if url is not None and url.protocol in ("http:", "https:") else None


def settings_for_codes(*, quiet: bool = False) -> Settings:
    """Settings whose ``public_url`` is what codes made now must carry:
    RELAYCODE_PUBLIC_URL, else the address ``relaycode serve`` recorded, else the
    default — and then a note on stderr names it (unless ``quiet``)."""
    s = settings()
    if "public_url" in s.model_fields_set:
        return s
    recorded = recorded_url(s.data_dir)
    if recorded is not None:
        return s.model_copy(update={"public_url": recorded})
    if not quiet:
        err_console.print(
            f"note: codes carry {s.public_url}, the default: RELAYCODE_PUBLIC_URL is unset "
            f"and no 'relaycode serve' has recorded its address in {s.data_dir}",
            highlight=False,
            soft_wrap=True,
        )
    return s


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="uvicorn worker processes."),
) -> None:
    """Serve the API, the pages and the code links.

    Codes carry RELAYCODE_PUBLIC_URL, or else http://HOST:PORT as served here.
    """
    import uvicorn

    note = follow_served_address(host, port)
    s = settings()
    keyring()  # refuse to start, in one line, when the keyring must be restored first
    with one_line_errors():
        AppState.backends(s)  # a wrong backend, proxy or limit setting: one line too
    # Configured or derived, the URL codes carry from now on: the CLI follows it.
    record_served_url(s)
    typer.echo(f"relaycode on {_url(host, port)}  (data: {s.data_dir}); codes carry {s.public_url}")
    if note:
        typer.echo(f"note: {note}")
    uvicorn.run(
        "relaycode.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # Forwarded headers are believed from RELAYCODE_TRUSTED_PROXIES only (the same
        # peers identity/client_address.py trusts), never from any local process.
        proxy_headers=bool(s.trusted_proxies),
        forwarded_allow_ips=s.trusted_proxies or None,
    )
