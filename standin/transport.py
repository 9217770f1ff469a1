"""How the driver reaches the bot: signed HTTP requests or Socket Mode envelopes.

Both transports return an :class:`HttpResult`.  Over HTTP it is the bot's real
response; over Socket Mode it is built from the ack (status 200, ``body`` = the
ack's ``payload`` as JSON).  Slack waits 3 seconds for an acknowledgement, so a
slower one raises AssertionError.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

from standin.signing import sign
from standin.webapi import SlackStandIn

Transport = Literal["http", "socket"]
EnvelopeType = Literal["slash_commands", "interactive", "events_api"]


@dataclass(frozen=True)
class HttpResult:
    """The bot's answer.  Over Socket Mode, ``body`` is the ack's ``payload`` as JSON."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


class SlackTransport:
    """Sends payloads to the bot the way Slack does; base class of :class:`SlackDriver`."""

    def __init__(
        self,
        *,
        bot_url: str,
        signing_secret: str,
        standin: SlackStandIn,
        clock: Callable[[], float] = time.time,
        transport: Transport = "http",
        ack_timeout: float = 3.0,
    ) -> None:
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.standin = standin
        self.clock = clock
        self.transport = transport
        self.ack_timeout = ack_timeout

    def post_raw(
        self,
        body: bytes,
        *,
        content_type: str,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResult:
        """POST ``body`` to the bot; signed correctly unless ``signature`` is given."""
        ts = timestamp if timestamp is not None else str(int(self.clock()))
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else sign(self.signing_secret, ts, body),
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            **(headers or {}),
        }
        request = urllib.request.Request(self.bot_url, data=body, headers=sent, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.ack_timeout + 2) as response:
                status, reply_headers, data = response.status, dict(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            status, reply_headers, data = exc.code, dict(exc.headers.items()), exc.read()
        except TimeoutError:
            raise AssertionError(f"the bot did not answer within {self.ack_timeout + 2:.0f}s") from None
        return HttpResult(status, reply_headers, data, time.monotonic() - started)

    def _deliver(
        self,
        kind: EnvelopeType,
        payload: dict[str, Any],
        *,
        http_body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
        accepts_response_payload: bool = False,
        envelope_extra: dict[str, Any] | None = None,
    ) -> HttpResult:
        started = time.monotonic()
        if self.transport == "socket":
            ack = self.standin.socket_send(
                kind,
                payload,
                accepts_response_payload=accepts_response_payload,
                timeout=self.ack_timeout + 2,
                extra=envelope_extra,
            )
            body = json.dumps(ack["payload"]).encode() if ack.get("payload") else b""
            result = HttpResult(200, {}, body, time.monotonic() - started, {"ack": ack})
        else:
            result = self.post_raw(http_body, content_type=content_type, headers=headers)
        if result.elapsed > self.ack_timeout:
            raise AssertionError(
                f"the bot took {result.elapsed:.2f}s to acknowledge a {kind} request; "
                f"Slack gives up after {self.ack_timeout:.0f}s"
            )
        return result

    def _interactive(self, payload: dict[str, Any], *, accepts_response_payload: bool) -> HttpResult:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._deliver(
            "interactive",
            payload,
            http_body=body,
            content_type="application/x-www-form-urlencoded",
            accepts_response_payload=accepts_response_payload,
        )
