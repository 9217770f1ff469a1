"""The Web API client: honours SLACK_API_URL and retries what Slack says to retry."""

from __future__ import annotations

import json as json_module
from typing import Any, cast
from urllib.parse import urljoin

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web import SlackResponse

from bot.slack import keep_alive


def make_web_client(*, token: str | None, base_url: str, timeout: int = 10) -> WebClient:
    """A client whose every call survives 429s (honouring Retry-After), 5xx and dropped connections."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=3),
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )


def make_delivery_client(client: WebClient, *, timeout: int) -> WebClient:
    """The same workspace, for the outbox sender: no retries and no sleeping inside a call.

    Each call ends within `timeout` seconds, so a send can never outlast the sender's lease;
    the sender itself retries a failed row later (honouring Retry-After) and checks first
    whether a post whose answer was lost did land, which blind client retries cannot do.
    """
    return DeliveryClient(token=client.token, base_url=client.base_url, timeout=timeout, retry_handlers=[])


class DeliveryClient(WebClient):
    """A WebClient whose JSON calls (the sender's posts and rewrites) go straight to the
    keep-alive pool: the same request, answer and errors (`SlackApiError` with Slack's
    answer and headers; urllib's connection errors) for about a fifth less CPU a call than
    through urllib's opener. Anything else, or with a proxy, goes slack_sdk's usual way."""

    def api_call(
        self, api_method: str, *, json: dict[str, Any] | None = None, **kwargs: Any
    ) -> SlackResponse:
        pool = keep_alive.pool()
        if json is None or kwargs.get("files") or kwargs.get("data") or kwargs.get("params") or pool is None:
            return super().api_call(api_method, json=json, **kwargs)
        url = urljoin(self.base_url, api_method)
        extra = kwargs.get("headers") or {}
        headers = self._build_urllib_request_headers(
            token=self.token or "", has_json=True, has_files=False, additional_headers=extra
        )
        reply = keep_alive.send(
            pool, url, body=json_module.dumps(json).encode(), headers=headers, timeout=self.timeout
        )
        try:
            answer: Any = json_module.loads(reply.data)
        except ValueError:
            answer = {"ok": False, "error": f"unexpected answer (HTTP {reply.status})"}
        answered = SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={"headers": headers, "json": json, "params": {}},
            data=answer,
            headers=dict(reply.headers),
            status_code=reply.status,
        )
        return cast(SlackResponse, answered.validate())  # type: ignore[no-untyped-call]  # SlackApiError unless ok
