"""Socket Mode: the websocket endpoint ``apps.connections.open`` hands out.

Protocol (docs.slack.dev/apis/events-api/using-socket-mode): the client
connects to the one-time URL, Slack sends ``{"type": "hello", ...}``, then
pushes envelopes ``{"envelope_id", "type", "payload",
"accepts_response_payload"}``; the client acks each with ``{"envelope_id",
"payload"?}`` within 3 seconds.  Slack may also send
``{"type": "disconnect", "reason": ...}`` asking the client to reconnect.

Invariant: URLs are single-use (their ``ticket`` is consumed on connect) and
envelopes go to the most recently connected open client.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from standin.workspace import Workspace


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    ack: dict[str, Any] | None = None


class SocketService:
    """A websocket server on its own loopback port, run from a daemon thread."""

    def __init__(self, ws: Workspace, *, host: str) -> None:
        self._ws = ws
        self._host = host
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self._pending: dict[str, _Pending] = {}
        self.connects = 0  # connections ever accepted, so tests can see a reconnect
        self.received: list[dict[str, Any]] = []  # every frame clients sent, for debugging
        self._server: Server = serve(self._serve, host, 0)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="slack-standin-socket", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.socket.getsockname()[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()
        self._server.shutdown()
        self._thread.join(timeout=5)

    def new_url(self) -> str:
        ticket = secrets.token_hex(8)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{self._host}:{self.port}/link/?ticket={ticket}&app_id={self._ws.app_id}"

    @property
    def connected(self) -> int:
        with self._lock:
            return len(self._connections)

    def _serve(self, connection: ServerConnection) -> None:
        request = connection.request
        query = parse_qs(urlsplit(request.path if request else "").query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            valid = ticket in self._tickets
            self._tickets.discard(ticket)
        if not valid:
            connection.close(code=4001, reason="invalid or used ticket")
            return
        hello = {
            "type": "hello",
            "num_connections": self.connected + 1,
            "debug_info": {"host": "slack-standin", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self._ws.app_id},
        }
        connection.send(json.dumps(hello))
        with self._lock:
            self._connections.append(connection)
            self.connects += 1
            self._lock.notify_all()
        try:
            for frame in connection:
                self._on_frame(frame)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                self._connections.remove(connection)

    def _on_frame(self, frame: str | bytes) -> None:
        try:
            message = json.loads(frame)
        except json.JSONDecodeError:
            return
        if not isinstance(message, dict):
            return
        with self._lock:
            self.received.append(message)
            pending = self._pending.get(str(message.get("envelope_id")))
            if pending is not None:
                pending.ack = message
                pending.done.set()

    def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Push one envelope and wait for its ack (AssertionError if none comes)."""
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or payload.get("type") in (
                "view_submission",
                "block_suggestion",
            )
        envelope_id = secrets.token_hex(16)
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
            **(extra or {}),
        }
        pending = _Pending()
        with self._lock:
            if not self._lock.wait_for(lambda: self._connections, timeout=timeout):
                raise AssertionError("no Socket Mode client is connected")
            connection = self._connections[-1]
            self._pending[envelope_id] = pending
        try:
            connection.send(json.dumps(envelope))
            if not pending.done.wait(timeout):
                raise AssertionError(
                    f"the Socket Mode client did not ack envelope {envelope_id} in {timeout}s"
                )
            assert pending.ack is not None
            return pending.ack
        finally:
            with self._lock:
                self._pending.pop(envelope_id, None)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask connected clients to reconnect, as Slack does before rotating servers."""
        with self._lock:
            connections = list(self._connections)
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "slack-standin"}}
        )
        for connection in connections:
            connection.send(message)
