"""response_url behaviour and fault injection."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from standin import SlackStandIn
from tests.standin.conftest import ALICE, FakeClock, button, section


def post(url: str, body: Any) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_response_url_posts_ephemeral_by_default(standin: SlackStandIn) -> None:
    url = standin.new_response_url(ALICE.id, "C0SEATS")
    response = WebhookClient(url).send(text="Your request was sent")
    assert (response.status_code, response.body) == (200, "ok")
    [message] = standin.ephemerals(ALICE.id)
    assert message.via == "response_url"
    assert message.channel == "C0SEATS"
    assert message.text == "Your request was sent"
    assert post(url, {"text": "Everyone sees this", "response_type": "in_channel"}) == (200, "ok")
    assert [m.ephemeral_for for m in standin.messages("C0SEATS")] == [ALICE.id, None]


def test_response_url_replaces_and_deletes_the_original(client: WebClient, standin: SlackStandIn) -> None:
    posted = client.chat_postMessage(
        channel="C0SEATS", text="pending", blocks=[section("pending", accessory=button("Approve", "approve"))]
    )
    url = standin.new_response_url(ALICE.id, "C0SEATS", message_ts=posted["ts"])
    assert post(url, {"replace_original": True, "text": "approved", "blocks": [section("approved")]}) == (
        200,
        "ok",
    )
    [message] = standin.messages("C0SEATS")
    assert message.text == "approved"
    assert [e.text for e in message.edits] == ["pending"]
    assert post(url, {"delete_original": True}) == (200, "ok")
    assert standin.messages("C0SEATS") == []
    orphan = standin.new_response_url(ALICE.id, "C0SEATS")
    assert post(orphan, {"replace_original": True, "text": "x"}) == (404, "message_not_found")


def test_response_url_rejects_bad_payloads(standin: SlackStandIn) -> None:
    url = standin.new_response_url(ALICE.id, "C0SEATS")
    assert post(
        url, {"text": "x", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]}
    ) == (400, "invalid_blocks")
    assert post(url, {}) == (400, "no_text")
    assert post(url, {"text": "x", "response_type": "public"}) == (400, "invalid_payload")
    assert [c.error for c in standin.api_errors()] == ["invalid_blocks", "no_text", "invalid_payload"]
    assert standin.calls_to("response_url")[0].response["errors"]


def test_response_url_limits(standin: SlackStandIn, clock: FakeClock) -> None:
    url = standin.new_response_url(ALICE.id, "C0SEATS")
    for _ in range(5):
        assert post(url, {"text": "x"})[0] == 200
    assert post(url, {"text": "x"}) == (404, "used_url")
    late = standin.new_response_url(ALICE.id, "C0SEATS")
    clock.advance(30 * 60 + 1)
    assert post(late, {"text": "x"}) == (404, "expired_url")


def test_rate_limit_then_success_with_sdk_retry(standin: SlackStandIn) -> None:
    standin.fail_next("chat.postMessage", retry_after=0)
    client = WebClient(
        token=standin.bot_token,
        base_url=standin.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert client.chat_postMessage(channel="C0SEATS", text="x")["ok"]
    calls = standin.calls_to("chat.postMessage")
    assert [(c.ok, c.status, c.injected) for c in calls] == [(False, 429, True), (True, 200, False)]
    assert standin.api_errors() == []


def test_rate_limit_reply_shape(client: WebClient, standin: SlackStandIn) -> None:
    standin.fail_next("users.info", retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.users_info(user=ALICE.id)
        assert info.value.response.status_code == 429
        assert info.value.response.headers["Retry-After"] == "7"
        assert info.value.response["error"] == "ratelimited"
    assert client.users_info(user=ALICE.id)["ok"]


def test_server_errors_have_no_json(standin: SlackStandIn) -> None:
    standin.fail_next("*", status=503)
    client = WebClient(
        token=standin.bot_token,
        base_url=standin.api_url,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)],
    )
    assert client.auth_test()["ok"]
    standin.fail_next("auth.test", status=500)
    with pytest.raises(SlackApiError) as info:
        WebClient(token=standin.bot_token, base_url=standin.api_url, retry_handlers=[]).auth_test()
    assert info.value.response.status_code == 500


def test_timeout_fault(standin: SlackStandIn) -> None:
    standin.fail_next("chat.postMessage", timeout=True, hang_seconds=2)
    client = WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=0.5, retry_handlers=[])
    started = time.monotonic()
    with pytest.raises(Exception, match="timed out"):
        client.chat_postMessage(channel="C0SEATS", text="x")
    assert time.monotonic() - started < 1.5
    assert standin.messages("C0SEATS") == []
    assert standin.calls_to("chat.postMessage")[0].error == "standin_timeout"


def test_injected_error_code_and_channel_error(client: WebClient, standin: SlackStandIn) -> None:
    standin.fail_next("chat.postMessage", error="fatal_error", status=200)
    with pytest.raises(SlackApiError, match="fatal_error"):
        client.chat_postMessage(channel="C0SEATS", text="x")
    standin.set_channel_error("C0SEATS", "is_archived")
    with pytest.raises(SlackApiError, match="is_archived"):
        client.chat_postMessage(channel="C0SEATS", text="x")
    standin.set_channel_error("C0SEATS", None)
    assert client.chat_postMessage(channel="C0SEATS", text="x")["ok"]
    assert standin.api_errors() == []


def test_wait_for(client: WebClient, standin: SlackStandIn) -> None:
    import threading

    threading.Timer(0.1, lambda: client.chat_postMessage(channel=ALICE.id, text="later")).start()
    [message] = standin.wait_for(lambda: standin.dm(ALICE.id), timeout=3)
    assert message.text == "later"
    with pytest.raises(AssertionError, match=r"chat\.postMessage ok"):
        standin.wait_for(lambda: standin.dm("U0BOB"), timeout=0.2)


def test_clear_faults(client: WebClient, standin: SlackStandIn) -> None:
    standin.fail_next("auth.test", times=5)
    standin.clear_faults()
    assert client.auth_test()["ok"]
