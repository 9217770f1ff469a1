"""Calls to Slack reuse their connection; a connection Slack closed is replaced, and
nothing is sent twice; Slack's errors reach seatbot exactly as before."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine

from bot.slack import keep_alive
from bot.slack.client import make_delivery_client, make_web_client
from standin import SlackStandIn
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _to_slack(slack: SlackStandIn) -> int:
    """Calls seatbot made to Slack (Web API and response_url), not the acks Slack read."""
    return sum(not call.method.startswith("ack.") for call in slack.calls)


def test_answers_reuse_their_connection_to_slack(bot: RunningBot, account: None) -> None:
    opened, calls = bot.slack.connections_accepted, _to_slack(bot.slack)
    for _ in range(6):
        bot.command("U0ADMIN")
    calls = _to_slack(bot.slack) - calls
    opened = bot.slack.connections_accepted - opened
    assert calls >= 6  # one answer each, through its response_url
    assert opened * 2 < calls, f"{opened} connections for {calls} calls"


def test_a_connection_slack_closed_is_replaced_and_nothing_is_sent_twice(
    bot: RunningBot, account: None, caplog: pytest.LogCaptureFixture
) -> None:
    bot.command("U0ADMIN")
    bot.slack.drop_idle_connections()  # as Slack's servers do
    posts = len(bot.slack.calls_to("response_url"))
    reply = bot.command("U0ADMIN")  # exactly one answer, or this fails
    assert reply.text == "Seats of Acme Support"
    assert len(bot.slack.calls_to("response_url")) == posts + 1
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


def test_slack_errors_reach_callers_as_before(slack: SlackStandIn) -> None:
    assert keep_alive.install()
    client = make_web_client(token=slack.bot_token, base_url=slack.api_url)
    slack.fail_next("users.info", status=429, retry_after=1, times=1)
    assert client.users_info(user="U0ADMIN")["user"]["id"] == "U0ADMIN"  # retried after Retry-After
    assert len(slack.calls_to("users.info")) == 2

    delivery = make_delivery_client(client, timeout=1)  # no retries: the sender decides
    slack.fail_next("chat.postMessage", status=500, error="internal_error", times=1)
    with pytest.raises(SlackApiError) as failed:
        delivery.chat_postMessage(channel="U0ADMIN", text="hello")
    assert failed.value.response.status_code == 500
    assert len(slack.calls_to("chat.postMessage")) == 1  # not sent twice

    slack.fail_next("chat.postMessage", timeout=True, hang_seconds=3, times=1)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        delivery.chat_postMessage(channel="U0ADMIN", text="hello")
    slack.clear_faults()
    assert delivery.chat_postMessage(channel="U0ADMIN", text="hello")["ok"]


def test_a_refused_certificate_is_reported_as_urllib_would() -> None:
    """slack_sdk retries what urllib raises for a failed connection (URLError): the pool's own
    errors must reach it in that shape."""
    import ssl

    import trustme

    assert keep_alive.install()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(server)  # an authority nobody trusts
    with SlackStandIn(tls=server) as untrusted:
        client = make_web_client(token=untrusted.bot_token, base_url=untrusted.api_url)
        delivery = make_delivery_client(client, timeout=2)
        with pytest.raises(urllib.error.URLError):
            delivery.auth_test()
        with pytest.raises(urllib.error.URLError):  # a JSON call, straight to the pool
            delivery.chat_postMessage(channel="U0ADMIN", text="hello")
        assert untrusted.calls == []


def test_not_used_when_a_proxy_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keep_alive, "_installed", None)
    monkeypatch.setattr(urllib.request, "_opener", None)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert keep_alive.install() is False
    assert urllib.request._opener is None  # type: ignore[attr-defined]  # urllib's own, proxy and all
