"""The door of `POST /slack/events`: what is not a genuine Slack request stops here.

Anyone on the internet can post to the request URL, so a refusal must cost
nothing: no body in the logs (a forged body can be 1 MB, and may be crafted to
poison log pipelines), no traceback, no 5xx, and at most one short log line per
reason every `interval` seconds with a count of those left unsaid. Only a
request signed with the app's signing secret, recent, in UTF-8 and shaped like
a Slack envelope (a JSON object) is handed to Bolt.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.runtime.form_payload import interactive_payload

logger = logging.getLogger(__name__)

MAX_AGE_SECONDS = 5 * 60
"""Slack's replay window: a timestamp further from now than this is refused."""

_TIMESTAMP = re.compile(r"[0-9]{1,15}")
"""ASCII digits only: `str.isdigit()` also accepts `¹` or `٣`, which `int()` refuses."""
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class Refusal(StrEnum):
    """Why a request never reached Bolt; each is a label in the log line."""

    TOO_LARGE = "too_large"
    BAD_LENGTH = "bad_length"
    NO_SIGNATURE = "no_signature"
    BAD_TIMESTAMP = "bad_timestamp"
    STALE_TIMESTAMP = "stale_timestamp"
    BAD_SIGNATURE = "bad_signature"
    NOT_UTF8 = "not_utf8"
    UNDECODABLE = "undecodable"
    NOT_AN_ENVELOPE = "not_an_envelope"
    """Signed and parsed, but missing what Bolt's router reads before any listener runs."""
    DATABASE_DOWN = "database_down"
    """Not a request refusal: `/healthz` found the database away (logged the same calm way)."""


STATUS_OF: Mapping[Refusal, int] = {
    Refusal.TOO_LARGE: 413,
    Refusal.NOT_AN_ENVELOPE: 400,
    Refusal.DATABASE_DOWN: 503,
}
"""HTTP status per refusal; every other refusal is 401 (Slack retries nothing on a 4xx)."""


class RefusalLog:
    """One short WARNING per reason per `interval` seconds, with how many were not logged.

    A flood of forged requests therefore writes a line every `interval` seconds,
    not a line (let alone a body) per request.
    """

    def __init__(
        self,
        *,
        event: str = "request refused",
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._event = event
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last: dict[Refusal, float] = {}
        self._suppressed: dict[Refusal, int] = {}
        self.counts: dict[Refusal, int] = {}
        """Every refusal since start, logged or not (tests and reports read it)."""

    def refused(self, reason: Refusal, *, detail: str) -> None:
        now = self._clock()
        with self._lock:
            self.counts[reason] = self.counts.get(reason, 0) + 1
            last = self._last.get(reason)
            if last is not None and now - last < self._interval:
                self._suppressed[reason] = self._suppressed.get(reason, 0) + 1
                return
            self._last[reason] = now
            suppressed = self._suppressed.pop(reason, 0)
        logger.warning(
            "%s reason=%s status=%s detail=%s suppressed_since_last=%s",
            self._event,
            reason.value,
            STATUS_OF.get(reason, 401),
            detail[:64],
            suppressed,
        )


class WithoutBodies(logging.Filter):
    """Bolt logs a failed signature check at INFO with the whole body; keep a short line.

    The door refuses such requests before Bolt sees them, so this only matters if
    Bolt is ever reached another way; it is a filter (not a level) because Bolt
    resets its loggers' levels each time an app is built.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if "body:" in str(record.msg):
            record.msg, record.args = "request refused by Bolt's signature check (body not logged)", ()
        return True


def quiet_bolt_verification() -> None:
    """Install `WithoutBodies` on Bolt's request-verification logger, once."""
    bolt = logging.getLogger("slack_bolt.RequestVerification")
    if not any(isinstance(f, WithoutBodies) for f in bolt.filters):
        bolt.addFilter(WithoutBodies())


@dataclass(frozen=True)
class Verified:
    """A genuine Slack request, parsed once, ready for Bolt."""

    request: BoltRequest


class Door:
    """Checks a raw request the way Slack's documentation asks, before Bolt sees it."""

    def __init__(self, signing_secret: str, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret
        self._clock = clock

    def check(self, body: bytes, *, headers: Mapping[str, str], query: str) -> Verified | Refusal:
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not signature:
            return Refusal.NO_SIGNATURE
        if not _TIMESTAMP.fullmatch(timestamp):
            return Refusal.BAD_TIMESTAMP
        if abs(self._clock() - int(timestamp)) > MAX_AGE_SECONDS:
            return Refusal.STALE_TIMESTAMP
        if not _SIGNATURE.fullmatch(signature):
            return Refusal.BAD_SIGNATURE
        try:
            # Before the signature: slack_sdk's verifier decodes the body itself, and raises.
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal.NOT_UTF8
        if not SignatureVerifier(self._secret).is_valid(text, timestamp, signature):
            return Refusal.BAD_SIGNATURE
        try:
            request = _bolt_request(body, text, query=query, headers=headers)
        except (ValueError, TypeError, KeyError, AttributeError, IndexError):
            # Signed, yet not a Slack envelope (bad JSON, a JSON list…): Bolt cannot read it.
            return Refusal.UNDECODABLE
        if not isinstance(request.body, dict):
            return Refusal.UNDECODABLE
        if not routable(request.body):
            return Refusal.NOT_AN_ENVELOPE
        return Verified(request)


def _bolt_request(body: bytes, text: str, *, query: str, headers: Mapping[str, str]) -> BoltRequest:
    """The request as Bolt builds it from `text`, with an interactive payload decoded by
    `interactive_payload` instead of Bolt's slower decoding (same result). Bolt is handed
    the payload as parsed, then the signed text as its raw body, so that its own signature
    check still runs on exactly what was signed."""
    payload = interactive_payload(body)
    if payload is None:
        return BoltRequest(body=text, query=query, headers=dict(headers))
    request = BoltRequest(body=payload, query=query, headers=dict(headers), mode="socket_mode")
    request.raw_body, request.mode = text, "http"  # as `BoltRequest(body=text)` sets them
    return request


def routable(body: Mapping[str, Any]) -> bool:
    """Whether Bolt can route `body` without raising.

    Bolt's listener matchers index into the envelope (`body["actions"][0]["action_id"]`,
    `body["view"]["callback_id"]`, `body["event"]["type"]`), and so does its warning
    about an unhandled request (`body["view"].get(...)`), before any listener
    or error handler of ours runs, so a malformed one would be a 500 with a
    traceback. What a listener then reads is the listener's own business.
    """
    kind = body.get("type")
    if "view" in body and not isinstance(body["view"], dict):
        return False  # also read when Bolt logs an unhandled request
    if kind in ("block_actions", "interactive_message"):
        actions = body.get("actions")
        if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)):
            return False
        return isinstance(actions[0].get("action_id"), str)
    if kind in ("view_submission", "view_closed"):
        return "view" in body
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and isinstance(event.get("type"), str)
    return True
