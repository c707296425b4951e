"""The notification machinery of one app instance, started and stopped with the app:
the broker of live streams, the PostgreSQL listener, the webhook worker thread."""

from __future__ import annotations

import contextlib
import signal
import threading
from types import FrameType
from typing import Any

from relaycode.notify import live, outbox
from relaycode.notify.live import Broker, PgListener
from relaycode.notify.worker import DeliveryWorker
from relaycode.state import AppState


class NotifyRuntime:
    def __init__(self, state: AppState) -> None:
        s = state.settings
        self.state = state
        self.broker = Broker(max_per_user=s.sse_max_per_user, max_streams=s.sse_max_streams)
        self.listener: PgListener | None = None
        self.worker: DeliveryWorker | None = None
        self._restore: list[tuple[int, Any]] = []
        live.register(state.db.engine, self.broker)

    def start(self) -> None:
        db, s = self.state.db, self.state.settings
        if not db.is_sqlite:
            conninfo = db.engine.url.set(drivername="postgresql").render_as_string(False)
            self.listener = PgListener(conninfo, self.broker).start()
        if s.webhook_worker:
            self.worker = DeliveryWorker(db, s).start()
            outbox.register_worker(db.engine, self.worker)
        self._chain_signals()

    def _chain_signals(self) -> None:
        """On SIGTERM/SIGINT, end the event streams first: uvicorn waits for open
        responses to finish before it shuts the app down, and a stream never would."""
        if threading.current_thread() is not threading.main_thread():
            return  # a server run in a thread (tests): they call stop() themselves
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)

            def handler(signum: int, frame: FrameType | None, prev: Any = previous) -> None:
                self.broker.close()
                if callable(prev):
                    prev(signum, frame)

            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, handler)
                self._restore.append((sig, previous))

    def stop(self) -> None:
        self.broker.close()
        for sig, previous in self._restore:
            with contextlib.suppress(ValueError, OSError, TypeError):
                if signal.getsignal(sig) is not previous:
                    signal.signal(sig, previous)
        self._restore.clear()
        if self.worker is not None:
            outbox.unregister_worker(self.state.db.engine, self.worker)
            self.worker.stop()
        if self.listener is not None:
            self.listener.stop()
        live.unregister(self.state.db.engine, self.broker)


def runtime_of(app_state: Any) -> NotifyRuntime:
    runtime: NotifyRuntime = app_state.notify
    return runtime
