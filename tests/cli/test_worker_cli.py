"""``relaycode worker --once`` delivers what is due, from the command line."""

from __future__ import annotations

from typing import Any

from helpers import auth, merchant_with_offer, register
from notify_support import Receiver, start_receiver
from typer.testing import CliRunner

from relaycode.cli.main import app as cli_app
from relaycode.notify.service import emit


def test_worker_once(client: Any, settings: Any, monkeypatch: Any) -> None:
    receiver = Receiver()
    server = start_receiver(receiver)
    try:
        token = register(client, "alice")
        mid = merchant_with_offer(client, token)["merchant_id"]
        monkeypatch.setenv("RELAYCODE_WEBHOOK_ALLOW_PRIVATE", "true")
        client.app.state.rc.settings.webhook_allow_private = True
        r = client.post(
            f"/api/v1/merchants/{mid}/webhooks",
            json={"url": receiver.url, "events": ["order.paid"]},
            headers=auth(token),
        )
        assert r.status_code == 201, r.text
        with client.app.state.rc.db.transaction() as db:
            emit(db, merchant_id=mid, event_type="order.paid", data={"order_id": 1})
        monkeypatch.setenv("RELAYCODE_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("RELAYCODE_DATABASE_URL", settings.resolved_database_url)
        from relaycode.config import get_settings

        get_settings.cache_clear()
        result = CliRunner().invoke(cli_app, ["worker", "--once"])
        get_settings.cache_clear()
        assert result.exit_code == 0, result.output
        assert "1 delivered" in result.output
        assert len(receiver.received) == 1
    finally:
        server.shutdown()
        server.server_close()
