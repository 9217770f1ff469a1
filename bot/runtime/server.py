"""HTTP mode: a WSGI app (`POST /slack/events`, `GET /healthz`, and with OAuth
`GET /slack/install`, `GET /slack/oauth_redirect`) served by waitress.

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
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from bot.runtime import metrics
from bot.runtime.ingress import STATUS_OF, Door, Refusal, RefusalLog
from storage import schema_version

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1024 * 1024
"""Slack payloads are a few KiB; a modal with many blocks stays well under this."""


class SeatbotWSGI:
    """Routes the public endpoints; everything else is 404.

    `POST /slack/events` passes through the door (`bot.runtime.ingress`) first: only a
    signed, recent, decodable request reaches Bolt, and a refused one costs a
    rate-limited log line at most.
    """

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        signing_secret: str | None = None,
        refusals: RefusalLog | None = None,
        health_log: RefusalLog | None = None,
    ) -> None:
        self._app = app
        self._engine = engine
        # Bolt keeps the secret it was built with; the door checks with the same one.
        secret = signing_secret or getattr(app, "_signing_secret", None)
        if not secret:
            raise ValueError("HTTP mode needs the signing secret (SLACK_SIGNING_SECRET)")
        self._door = Door(secret)
        self.refusals = refusals or RefusalLog()
        self.probes = Probes(engine, health_log=health_log)

    @property
    def stopping(self) -> bool:
        return self.probes.stopping

    @stopping.setter
    def stopping(self, value: bool) -> None:
        self.probes.stopping = value

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == EVENTS_PATH and method == "POST":
            return self._events(environ, start_response)
        probed = self.probes.answer(path, method, start_response)
        if probed is not None:
            return probed
        flow = self._app.oauth_flow
        if flow is not None and method == "GET" and path in (flow.install_path, flow.redirect_uri_path):
            return self._install(environ, start_response, callback=path == flow.redirect_uri_path)
        return _reply(start_response, "404 Not Found", {"ok": False, "error": "not_found"})

    def _events(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        arrived = time.perf_counter()
        remote = str(environ.get("REMOTE_ADDR", ""))
        body = _read_body(environ)
        if isinstance(body, Refusal):
            metrics.REQUESTS.labels(surface="unknown", outcome=body.value).inc()
            return self._refuse(start_response, body, remote)
        checked = self._door.check(body, headers=_headers(environ), query=environ.get("QUERY_STRING", ""))
        if isinstance(checked, Refusal):
            metrics.REQUESTS.labels(surface="unknown", outcome=checked.value).inc()
            return self._refuse(start_response, checked, remote)
        response = self._app.dispatch(checked.request)
        outcome = "acked" if response.status == 200 else f"http_{response.status}"
        metrics.REQUESTS.labels(surface=_surface(checked.request.body), outcome=outcome).inc()
        metrics.ACK_SECONDS.observe(time.perf_counter() - arrived)
        wsgi = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
        start_response(wsgi.status, wsgi.get_headers())
        return wsgi.get_body()

    def _install(
        self, environ: WSGIEnvironment, start_response: StartResponse, *, callback: bool
    ) -> Iterable[bytes]:
        """Bolt's OAuth flow: the "Add to Slack" page, then Slack's redirect back with a code.
        Unsigned by nature: the state (cookie and store, used once) ties the two together."""
        flow = self._app.oauth_flow
        assert flow is not None
        headers: dict[str, str | Sequence[str]] = dict(_headers(environ))
        request = BoltRequest(
            body="", query=str(environ.get("QUERY_STRING", "")), headers=headers, mode="http"
        )
        response: BoltResponse = (
            flow.handle_callback(request) if callback else flow.handle_installation(request)
        )
        wsgi = WsgiHttpResponse(status=response.status, headers=response.headers, body=response.body)
        start_response(wsgi.status, wsgi.get_headers())
        return wsgi.get_body()

    def _refuse(self, start_response: StartResponse, reason: Refusal, remote: str) -> list[bytes]:
        self.refusals.refused(reason, detail=remote)
        status = STATUS_OF.get(reason, 401)
        phrase = {413: "413 Payload Too Large", 400: "400 Bad Request"}.get(status, "401 Unauthorized")
        return _reply(start_response, phrase, {"ok": False, "error": "invalid request"})


SURFACES = frozenset({"block_actions", "view_submission", "view_closed", "shortcut", "message_action"})


def _surface(body: Any) -> str:
    """Which Slack surface a request came from, in a few known words (bounded label values)."""
    if not isinstance(body, dict):
        return "unknown"
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        return "event" if isinstance(event, dict) else "unknown"
    return str(kind) if kind in SURFACES else "other"


class Probes:
    """What operators and load balancers ask: /healthz, /readyz, /metrics (HTTP mode, and
    Socket Mode's --health-port)."""

    def __init__(self, engine: Engine, *, health_log: RefusalLog | None = None) -> None:
        self._engine = engine
        self._health_log = health_log or RefusalLog(event="health check failed")
        self.stopping = False
        """Set on SIGTERM: /readyz says 503 so the load balancer sends no more."""

    def answer(self, path: str, method: str, start_response: StartResponse) -> Iterable[bytes] | None:
        """The probe's answer, or None when `path` is not a probe."""
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self._health(start_response)
        if path == "/readyz" and method in ("GET", "HEAD"):
            return self._ready(start_response)
        if path == "/metrics" and method == "GET":
            return self._metrics(start_response)
        return None

    def _health(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError) as exc:
            # Probes come every few seconds: one short line per minute, not a traceback each.
            self._health_log.refused(Refusal.DATABASE_DOWN, detail=type(exc).__name__)
            return _reply(start_response, "503 Service Unavailable", {"ok": False, "database": "down"})
        return _reply(start_response, "200 OK", {"ok": True, "database": "up"})

    def _metrics(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            data = metrics.exposition(self._engine)
        except (SQLAlchemyError, OSError) as exc:
            self._health_log.refused(Refusal.DATABASE_DOWN, detail=type(exc).__name__)
            return _reply(start_response, "503 Service Unavailable", {"ok": False, "database": "down"})
        start_response("200 OK", [("Content-Type", metrics.CONTENT_TYPE), ("Content-Length", str(len(data)))])
        return [data]

    def _ready(self, start_response: StartResponse) -> Iterable[bytes]:
        """Ready for traffic: not stopping, the database reachable and at the newest migration."""
        if self.stopping:
            return _reply(start_response, "503 Service Unavailable", {"ok": False, "stopping": True})
        try:
            current = schema_version.is_current(self._engine)
        except (SQLAlchemyError, OSError) as exc:
            self._health_log.refused(Refusal.DATABASE_DOWN, detail=type(exc).__name__)
            return _reply(start_response, "503 Service Unavailable", {"ok": False, "database": "down"})
        if not current:
            return _reply(start_response, "503 Service Unavailable", {"ok": False, "migrations": "behind"})
        return _reply(start_response, "200 OK", {"ok": True, "database": "up", "migrations": "current"})


class ProbesWSGI:
    """The probes alone, for Socket Mode (which has no request URL of its own)."""

    def __init__(self, probes: Probes) -> None:
        self.probes = probes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        probed = self.probes.answer(path, method, start_response)
        if probed is not None:
            return probed
        return _reply(start_response, "404 Not Found", {"ok": False, "error": "not_found"})


def _read_body(environ: WSGIEnvironment) -> bytes | Refusal:
    """The raw body, at most MAX_BODY bytes (waitress enforces it too, and buffers it)."""
    length_text = str(environ.get("CONTENT_LENGTH") or "0").strip()
    if not (length_text.isascii() and length_text.isdigit()):
        return Refusal.BAD_LENGTH
    length = int(length_text)
    if length > MAX_BODY:
        return Refusal.TOO_LARGE
    stream = environ.get("wsgi.input")
    if stream is None or length == 0:
        return b""
    try:
        body: bytes = stream.read(length)
    except (OSError, ValueError):  # the client went away mid-body
        return Refusal.BAD_LENGTH
    return body


def _headers(environ: WSGIEnvironment) -> dict[str, str]:
    """Request headers, lower-case and dashed, as Bolt names them."""
    headers = {}
    for key, value in environ.items():
        if key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            headers[key.lower().replace("_", "-")] = str(value)
        elif key.startswith("HTTP_"):
            headers[key[5:].lower().replace("_", "-")] = str(value)
    return headers


def _reply(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


@dataclass
class RunningServer:
    """A server started on a background thread (tests, demo)."""

    url: str
    stop: Callable[[], None]


STOP_GRACE = 10.0
"""Seconds requests in flight get to finish after SIGTERM."""


RECV_BYTES = 64 * 1024
"""What waitress reads from a connection at once (its default is 8 KiB). A submitted form
is a little over 8 KiB with its headers, and every read is one more wait for the
interpreter by the one thread that reads every connection: when 50 people submit at
once, that thread was where their acks waited (measured: a submission's ack p99 at 50
clients, median of six rounds, 85 → 68 ms)."""


def bind(wsgi: SeatbotWSGI | ProbesWSGI, *, host: str, port: int, threads: int) -> BaseWSGIServer:
    """Take the port, without serving yet: OSError if it is in use. The one place the
    server is made, for `serve` and for the tests and the demo alike."""
    server = create_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        ident="seatbot",
        max_request_body_size=MAX_BODY,
        recv_bytes=RECV_BYTES,
    )
    assert isinstance(server, BaseWSGIServer)
    return server


def serve_until_stopped(
    server: BaseWSGIServer, *, on_stop: Callable[[], object], grace: float = STOP_GRACE
) -> None:
    """Serve in the foreground until SIGTERM or SIGINT, then stop without dropping anything.

    On the signal: /readyz turns 503, the port stops accepting, requests in flight finish
    (at most `grace` seconds); then `on_stop` stops the scheduler after its pass and lets
    the work queue and the sender finish what they hold; one line says so.
    """
    wsgi = server.application
    stopping = threading.Event()
    dispatcher = server.task_dispatcher

    def drain(began: float) -> None:
        deadline = began + grace
        while (dispatcher.active_count or dispatcher.queue) and time.monotonic() < deadline:
            time.sleep(0.05)  # requests in flight are acks: milliseconds; bounded by `grace`
        wasyncore.close_all(server._map)  # type: ignore[attr-defined]  # ends run(), keep-alive included

    def on_signal(signum: int, _frame: object) -> None:
        if stopping.is_set():
            return
        stopping.set()
        if isinstance(wsgi, SeatbotWSGI):
            wsgi.stopping = True
        logger.info("stopping signal=%s in_flight=%s", signal.Signals(signum).name, dispatcher.active_count)
        server.accepting = False
        server.del_channel()  # the listening socket: nothing new is accepted
        if server.socket is not None:
            server.socket.close()
        threading.Thread(target=drain, args=(time.monotonic(),), name="seatbot-drain", daemon=True).start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    where = f"{getattr(server, 'effective_host', '?')}:{getattr(server, 'effective_port', '?')}"
    logger.info("serving at=%s threads=%s", where, dispatcher.threads)
    began = time.monotonic()
    try:
        server.run()
    except (OSError, ValueError):
        if not stopping.is_set():
            raise  # closing the sockets pulls them out from under select(): expected only when stopping
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stop_began = time.monotonic()
    dispatcher.shutdown(cancel_pending=False, timeout=int(grace))
    on_stop()
    logger.info("stopped after=%.1fs served_for=%.0fs", time.monotonic() - stop_began, stop_began - began)


def start_in_background(
    wsgi: SeatbotWSGI | ProbesWSGI, *, host: str = "127.0.0.1", port: int = 0, threads: int = 16
) -> RunningServer:
    server = bind(wsgi, host=host, port=port, threads=threads)
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
    bound_port = server.effective_port  # type: ignore[attr-defined]

    def stop() -> None:
        stopping.set()
        # Workers first, then every socket (listener, wake-up pipe, keep-alive
        # connections): close() alone leaves run() looping on open connections.
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)  # type: ignore[attr-defined]
        thread.join(timeout=5)

    return RunningServer(url=f"http://{host}:{bound_port}", stop=stop)
