"""The webhook signing secret: made on first run, kept private, rotatable, or given."""

from __future__ import annotations

import json
import stat
from typing import Any

import pytest
from fastapi.testclient import TestClient
from payment_helpers import WEBHOOK, event, secret, signed
from pydantic import SecretStr
from typer.testing import CliRunner

from relaycode.app import create_app
from relaycode.cli.main import app as cli_app
from relaycode.config import Settings
from relaycode.payments.stripe_secrets import FILE, WebhookSecretError, WebhookSecrets


def _status(app: Any, key: str) -> int:
    body = event("evt_1", "customer.created", {"id": "cus_1", "object": "customer"})
    with TestClient(app, raise_server_exceptions=False) as c:
        return c.post(WEBHOOK, content=body, headers=signed(body, key)).status_code


def test_made_once_on_first_run_and_private(stripe_settings: Settings) -> None:
    app = create_app(stripe_settings)
    path = stripe_settings.data_dir / FILE
    first = secret(app)
    assert first.startswith("whsec_") and len(first) > 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = create_app(stripe_settings)  # a restart, or a second worker
    assert secret(again) == first
    for a in (app, again):
        a.state.rc.db.dispose()


def test_rotation_keeps_the_old_secret_until_retired(stripe_settings: Settings) -> None:
    app = create_app(stripe_settings)
    old = secret(app)
    kept = WebhookSecrets(path=stripe_settings.data_dir / FILE)  # another process: the CLI
    new = kept.rotate()
    assert new != old and secret(app) == new  # the server sees the change on its own
    assert _status(app, old) == 200
    assert _status(app, new) == 200
    assert kept.retire_old() == 1
    assert _status(app, old) == 400
    assert _status(app, new) == 200
    app.state.rc.db.dispose()


def test_given_secrets_are_used_as_they_are(stripe_settings: Settings) -> None:
    given = stripe_settings.model_copy(update={"stripe_webhook_secret": "whsec_a, whsec_b"})
    app = create_app(given)
    assert [_status(app, k) for k in ("whsec_a", "whsec_b", "whsec_c")] == [200, 200, 400]
    assert not (given.data_dir / FILE).exists()
    with pytest.raises(WebhookSecretError):
        WebhookSecrets.from_settings(given).rotate()
    app.state.rc.db.dispose()


def test_a_spoiled_file_stops_the_server(stripe_settings: Settings) -> None:
    path = stripe_settings.data_dir / FILE
    path.parent.mkdir(parents=True)
    for text in ("{", json.dumps({"secrets": []}), json.dumps({"secrets": [{"secret": "x"}]})):
        path.write_text(text)
        with pytest.raises(ValueError, match="not valid"):
            create_app(stripe_settings)


def test_the_cli_prints_rotates_and_retires(
    stripe_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from relaycode.config import get_settings

    monkeypatch.setenv("RELAYCODE_DATA_DIR", str(stripe_settings.data_dir))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        first = runner.invoke(cli_app, ["payments", "webhook-secret"])
        same = runner.invoke(cli_app, ["payments", "webhook-secret"])
        rotated = runner.invoke(cli_app, ["payments", "webhook-secret", "--rotate"])
        retired = runner.invoke(cli_app, ["payments", "webhook-secret", "--retire-old"])
        monkeypatch.setenv("RELAYCODE_STRIPE_WEBHOOK_SECRET", "whsec_given")
        get_settings.cache_clear()
        given = runner.invoke(cli_app, ["payments", "webhook-secret", "--rotate"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0 and first.stdout.strip().startswith("whsec_")
    assert same.stdout == first.stdout
    new = rotated.stdout.strip()
    assert new != first.stdout.strip()
    assert retired.exit_code == 0 and retired.stdout.strip().endswith(new)
    secrets = json.loads((stripe_settings.data_dir / FILE).read_text())["secrets"]
    assert [s["secret"] for s in secrets] == [new]
    assert given.exit_code == 1 and "RELAYCODE_STRIPE_WEBHOOK_SECRET" in given.output


def test_secret_key_unset_means_no_secret_file(settings: Settings) -> None:
    off = settings.model_copy(update={"stripe_secret_key": SecretStr("")})
    app = create_app(off)
    assert not (settings.data_dir / FILE).exists()
    app.state.rc.db.dispose()
