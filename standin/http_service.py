"""Minimal HTTP plumbing shared by the Web API and response_url endpoints.

The server runs ``ThreadingHTTPServer`` in a daemon thread; each request is
turned into an :class:`HttpRequest`, handed to a router callback, and the
:class:`HttpReply` it returns is written back.  A router returning None means
"drop the connection without answering" (used to simulate timeouts).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Router = Callable[[HttpRequest], HttpReply | None]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # connections are kept alive, as Slack's are
    # Headers and body go out as two writes: without this, the body of a kept-alive
    # connection waits for the client's delayed ACK (40 ms a call), which Slack never does.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=dict(self.headers.items()),
            body=body,
        )
        reply = self.server.router(request)
        if reply is None:
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = _serve
    do_POST = _serve

    def parse_request(self) -> bool:
        self.server.busy(self.connection, True)  # a request line arrived: no longer idle
        return super().parse_request()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        finally:
            self.server.busy(self.connection, False)

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request logging; the stand-in records calls itself."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], router: Router) -> None:
        super().__init__(address, _Handler)
        self.router = router
        self.accepted = 0  # connections, each of which may carry many calls
        self._open: set[socket.socket] = set()
        self._busy: set[socket.socket] = set()  # reading a request or writing its answer
        self._open_lock = threading.Lock()

    def busy(self, connection: socket.socket, busy: bool) -> None:
        with self._open_lock:
            if busy:
                self._busy.add(connection)
            else:
                self._busy.discard(connection)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self.accepted += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
            self._busy.discard(request)
        super().shutdown_request(request)

    def drop_connections(self, *, idle_only: bool, settle: float = 0.0) -> None:
        """Close kept-alive connections: the idle ones, as Slack's servers do, or all.

        `settle`: seconds to wait first for calls in progress to end (the caller may have
        its answer while the thread that wrote it has not quite finished)."""
        deadline = time.monotonic() + settle
        while idle_only and self._busy and time.monotonic() < deadline:
            time.sleep(0.005)
        with self._open_lock:
            sockets = [s for s in self._open if not (idle_only and s in self._busy)]
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class HttpService:
    """An HTTP server on a loopback port, serving ``router`` from a daemon thread."""

    def __init__(self, host: str, port: int, router: Router, *, tls: ssl.SSLContext | None = None) -> None:
        self._server = _Server((host, port), router)
        if tls is not None:  # each handshake then happens in the accepting thread: fine for a benchmark
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        # A short poll interval keeps stop() fast: shutdown() waits for one poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="slack-standin-http", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    @property
    def connections_accepted(self) -> int:
        return self._server.accepted

    def drop_idle_connections(self, settle: float = 1.0) -> None:
        self._server.drop_connections(idle_only=True, settle=settle)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.drop_connections(idle_only=False)  # a stopped Slack answers nobody
        self._server.server_close()
        self._thread.join(timeout=5)
