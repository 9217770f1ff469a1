"""Signed requests over keep-alive loopback connections, and the driver that uses them.

Slack keeps connections to an app open, so every sending thread keeps one
connection per server. ``BenchDriver`` is the stand-in's ``SlackDriver`` (real
payload shapes from ``standin/payloads.py``, acks applied to the stand-in the
way Slack applies them) whose requests go through that connection and are kept,
so the very same bodies can be replayed, freshly signed, to the bare Bolt app.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from standin import HttpResult, SlackDriver, SlackStandIn, sign

SIGNING_SECRET = "bench-signing-secret"
REQUEST_TIMEOUT = 60.0  # seconds; far beyond Slack's 3 s, so a late ack is measured, not lost


@dataclass(frozen=True)
class Sent:
    """One request as it went on the wire (minus the signature, redone on replay)."""

    body: bytes
    content_type: str
    headers: dict[str, str]
    at: float  # wall clock (time.time), comparable with the stand-in's recorded calls


_local = threading.local()


def post(port: int, sent: Sent) -> HttpResult:
    """POST a freshly signed copy of ``sent`` to ``/slack/events`` on this thread's connection."""
    connections: dict[int, http.client.HTTPConnection] = _local.__dict__.setdefault("connections", {})
    ts = str(int(time.time()))
    headers = {
        "Content-Type": sent.content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(SIGNING_SECRET, ts, sent.body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        **sent.headers,
    }
    for attempt in (1, 2):
        conn = connections.get(port)
        if conn is None:
            conn = connections[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        started = time.monotonic()
        try:
            conn.request("POST", "/slack/events", body=sent.body, headers=headers)
            reply = conn.getresponse()
            data = reply.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed an idle keep-alive connection: reconnect once, as Slack would.
            conn.close()
            del connections[port]
            if attempt == 2:
                raise
            continue
        return HttpResult(reply.status, dict(reply.getheaders()), data, time.monotonic() - started)
    raise AssertionError("unreachable")


def close_connections() -> None:
    for conn in _local.__dict__.get("connections", {}).values():
        conn.close()
    _local.__dict__["connections"] = {}


class BenchDriver(SlackDriver):
    """A ``SlackDriver`` over keep-alive connections that remembers what it sent.

    ``last_sent()`` is the request this thread sent last (for replay and for
    the answer's start time). Acks slower than Slack's 3 s are measured by the
    benchmark instead of failing, hence the huge ``ack_timeout``.
    """

    def __init__(self, *, port: int, standin: SlackStandIn, more_ports: Sequence[int] = ()) -> None:
        """Requests go to ``port``; with ``more_ports`` (replicas), each thread keeps to one
        port, the threads dealt round the ports in turn, as a balancer keeping a client's
        connection would."""
        super().__init__(
            bot_url=f"http://127.0.0.1:{port}/slack/events",
            signing_secret=SIGNING_SECRET,
            standin=standin,
            ack_timeout=REQUEST_TIMEOUT,
        )
        self.port = port
        self._ports = (port, *more_ports)
        self._dealt = itertools.count()
        self._mine = threading.local()
        self._counted = threading.Lock()
        self.sent_to: Counter[int] = Counter()
        """Requests sent to each port."""

    def _port(self) -> int:
        port: int | None = getattr(self._mine, "port", None)
        if port is None:
            port = self._mine.port = self._ports[next(self._dealt) % len(self._ports)]
        return port

    def post_raw(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResult:
        sent = Sent(body, content_type, dict(headers or {}), time.time())
        _local.last_sent = sent
        port = self._port()
        with self._counted:
            self.sent_to[port] += 1
        return post(port, sent)

    @staticmethod
    def last_sent() -> Sent:
        sent: Sent = _local.last_sent
        return sent


def ack_body(result: HttpResult) -> Any:
    """The ack's JSON body, or None when empty (or not JSON)."""
    import json

    try:
        return json.loads(result.body) if result.body.strip() else None
    except ValueError:
        return None
