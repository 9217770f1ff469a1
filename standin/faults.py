"""Failures a test arranges in advance (rate limits, 5xx, hangs, error codes)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from standin.http_service import HttpReply


@dataclass
class Fault:
    """Make the next ``remaining`` calls of ``method`` ("*" = any) fail this way.

    * status 429: ``{"ok": false, "error": "ratelimited"}`` plus ``Retry-After``.
    * status 5xx: a non-JSON body, as Slack's load balancers send.
    * status 200 (or other 4xx): a normal Slack error body with ``error``.
    * ``timeout``: hold the request ``hang_seconds`` then drop the connection
      without answering, so the client's own timeout fires first.
    * ``lands`` (with ``timeout``): the call takes effect (the message is posted)
      and only then is the answer held and dropped: the client cannot tell
      whether it worked.
    """

    method: str
    error: str
    status: int
    retry_after: int
    remaining: int
    timeout: bool = False
    hang_seconds: float = 5.0
    lands: bool = False

    def matches(self, method: str) -> bool:
        return self.remaining > 0 and self.method in (method, "*")

    def reply(self) -> HttpReply:
        if self.status >= 500:
            return HttpReply(self.status, f"{self.status} upstream error".encode(), "text/html")
        body = json.dumps({"ok": False, "error": self.error}).encode()
        headers = {"Retry-After": str(self.retry_after)} if self.status == 429 else {}
        return HttpReply(self.status, body, "application/json; charset=utf-8", headers)

    def describe(self) -> dict[str, object]:
        if self.timeout:
            return {"ok": False, "error": "standin_timeout"}
        if self.status >= 500:
            return {"ok": False, "error": f"http_{self.status}"}
        return {"ok": False, "error": self.error}
