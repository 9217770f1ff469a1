"""The Web API client: honours SLACK_API_URL and retries what Slack says to retry."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


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
    return WebClient(token=client.token, base_url=client.base_url, timeout=timeout, retry_handlers=[])
