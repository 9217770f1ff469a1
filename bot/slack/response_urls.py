"""Answers posted to the response_url of what a person typed or clicked.

Straight to the keep-alive pool (`bot.slack.keep_alive`): Bolt's `respond` makes the
same post through slack_sdk's webhook client and urllib's opener, whose layers cost
about a quarter of the post's CPU (see benchmarks/RESULTS.md). What is sent is the
same JSON, and the retry is the same as slack_sdk's: once, when the connection failed
or was cut. Without the pool (a proxy is configured), Bolt's `respond` posts it, as before.

A response_url Slack refuses (it expired after 30 minutes, or has answered five
times) or cannot reach is logged: the person's change, if any, stands either way.
"""

from __future__ import annotations

import logging

import urllib3
from slack_bolt.context.respond import Respond
from slack_sdk.web.internal_utils import get_user_agent
from urllib3.exceptions import ProtocolError

from bot.messages.reply import Reply
from bot.slack import keep_alive

logger = logging.getLogger(__name__)

TIMEOUT = urllib3.Timeout(connect=10, read=30)
"""As Bolt's `respond` (30 s), with a connection refused sooner."""
_HEADERS = {"Content-Type": "application/json;charset=utf-8", "User-Agent": get_user_agent()}
_NOT_SENT_ONCE = urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0, other=0)
"""A connection that could not be made is tried once more: nothing was sent on it."""


def post_ephemeral(response_url: str, reply: Reply) -> bool:
    """Post `reply` to `response_url`, seen by that person alone and below what they
    clicked (not replacing it); whether Slack took it."""
    pool = keep_alive.pool()
    if pool is None:
        respond = Respond(response_url=response_url)
        return respond(**reply.payload(), response_type="ephemeral", replace_original=False).status_code < 300
    body = reply.ephemeral_body()
    try:
        try:
            answer = _send(pool, response_url, body)
        except ProtocolError:  # cut before an answer, as slack_sdk does: once more
            answer = _send(pool, response_url, body)
    except urllib3.exceptions.HTTPError as exc:
        logger.warning("could not answer through response_url error=%s", exc)
        return False
    if answer.status >= 300:
        error = answer.data[:200].decode(errors="replace")
        logger.warning("response_url refused the answer status=%s error=%s", answer.status, error)
        return False
    return True


def _send(pool: urllib3.PoolManager, url: str, body: bytes) -> urllib3.BaseHTTPResponse:
    return keep_alive.request(
        pool,
        "POST",
        url,
        body=body,
        headers=_HEADERS,
        timeout=TIMEOUT,
        retries=_NOT_SENT_ONCE,
        redirect=False,
        preload_content=True,  # read whole: the connection goes back to the pool at once
    )
