"""HTTP mode: a WSGI app (`POST /slack/events`, `GET /healthz`) served by waitress.

Why waitress and a synchronous Bolt app: seatbot's work is blocking (SQL
through SQLAlchemy, Slack calls through slack_sdk), so each request gets a
thread of its own from waitress's pool and never waits behind another;
Bolt acks first and finishes on its own listener pool. waitress is a
production server that also runs inside a test or `seatbot demo` process on
a background thread, so what is tested is what is deployed.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine, text
from waitress import wasyncore
from waitress.server import create_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024
"""Slack payloads are a few KiB; a modal with many blocks stays well under this."""


class SeatbotWSGI:
    """Routes the two public endpoints; everything else is 404."""

    def __init__(self, app: App, engine: Engine) -> None:
        self._slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self._engine = engine

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            if int(environ.get("CONTENT_LENGTH") or 0) > MAX_BODY:
                return _reply(start_response, "413 Payload Too Large", {"ok": False})
            return self._slack(environ, start_response)
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self._health(start_response)
        return _reply(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:
            logger.exception("health check: database unreachable")
            return _reply(start_response, "503 Service Unavailable", {"ok": False, "database": "down"})
        return _reply(start_response, "200 OK", {"ok": True, "database": "up"})


def _reply(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


@dataclass
class RunningServer:
    """A server started on a background thread (tests, demo)."""

    url: str
    stop: Callable[[], None]


def serve(wsgi: SeatbotWSGI, *, host: str, port: int, threads: int) -> None:
    """Serve in the foreground until interrupted."""
    server = create_server(
        wsgi, host=host, port=port, threads=threads, ident="seatbot", max_request_body_size=MAX_BODY
    )
    logger.info("serving host=%s port=%s threads=%s", host, port, threads)
    server.run()


def start_in_background(
    wsgi: SeatbotWSGI, *, host: str = "127.0.0.1", port: int = 0, threads: int = 16
) -> RunningServer:
    server = create_server(
        wsgi, host=host, port=port, threads=threads, ident="seatbot", max_request_body_size=MAX_BODY
    )
    stopping = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):
            # Closing the sockets from another thread pulls them out from under select().
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=run, name="seatbot-http", daemon=True)
    thread.start()
    bound_port = server.effective_port  # type: ignore[union-attr]

    def stop() -> None:
        stopping.set()
        # Workers first, then every socket (listener, wake-up pipe, keep-alive
        # connections): close() alone leaves run() looping on open connections.
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)  # type: ignore[union-attr]
        thread.join(timeout=5)

    return RunningServer(url=f"http://{host}:{bound_port}", stop=stop)
