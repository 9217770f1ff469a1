"""The error a Web API method raises to produce ``{"ok": false, "error": ...}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Slack API error response.

    ``injected`` marks errors the test arranged on purpose; ``status`` is the
    HTTP status (200 for ordinary Slack errors, which is how Slack reports them).
    """

    def __init__(
        self,
        error: str,
        *,
        messages: list[str] | None = None,
        extra: dict[str, Any] | None = None,
        injected: bool = False,
        status: int = 200,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.extra = extra or {}
        self.injected = injected
        self.status = status

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": [f"[ERROR] {m}" for m in self.messages]}
        return body
