"""SlackDriver payload shapes and the way Slack applies acks, against a capturing bot."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from standin import SlackDriver, SlackStandIn
from tests.standin.conftest import ALICE, BOB, button, modal, section, text_input

SECRET = "driver-secret"


class CaptureBot:
    """Records every request; answers with ``reply`` after ``delay`` seconds."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.reply: tuple[int, bytes] = (200, b"")
        self.delay = 0.0
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                bot.requests.append({"headers": dict(self.headers.items()), "body": body})
                time.sleep(bot.delay)
                status, data = bot.reply
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def last(self) -> dict[str, Any]:
        """The last request's payload, decoded the way Bolt decodes it."""
        request = self.requests[-1]
        body = request["body"].decode()
        if request["headers"]["Content-Type"] == "application/json":
            return json.loads(body)
        form = {k: v[0] for k, v in parse_qs(body).items()}
        return json.loads(form["payload"]) if "payload" in form else form


@pytest.fixture
def bot() -> Iterator[CaptureBot]:
    capture = CaptureBot()
    thread = threading.Thread(target=capture.server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield capture
    capture.server.shutdown()
    capture.server.server_close()


@pytest.fixture
def driver(standin: SlackStandIn, bot: CaptureBot) -> SlackDriver:
    return SlackDriver(bot_url=bot.url, signing_secret=SECRET, standin=standin)


def test_requests_are_signed(driver: SlackDriver, bot: CaptureBot) -> None:
    driver.slash_command(ALICE.id, "hello")
    request = bot.requests[-1]
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        request["body"],
        request["headers"]["X-Slack-Request-Timestamp"],
        request["headers"]["X-Slack-Signature"],
    )


def test_slash_command_fields(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    driver.slash_command(ALICE.id, "Figma 3", channel_id="C0SEATS")
    fields = bot.last()
    assert list(fields) == [
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    ]
    assert fields["channel_name"] == "seat-requests"
    assert fields["user_name"] == "alice"
    assert fields["command"] == "/seats"
    assert fields["response_url"].startswith(standin.base_url)
    assert WebClient(token=standin.bot_token, base_url=standin.api_url).views_open(
        trigger_id=fields["trigger_id"], view=modal(section("x"))
    )["ok"]
    assert standin.open_views(ALICE.id)


def test_command_ack_body_becomes_a_message(
    driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn
) -> None:
    bot.reply = (200, json.dumps({"response_type": "in_channel", "text": "Everyone: a request"}).encode())
    driver.slash_command(ALICE.id, "x")
    bot.reply = (200, b"Just for you")
    driver.slash_command(ALICE.id, "y")
    assert [(m.text, m.ephemeral_for, m.via) for m in standin.messages("C0GENERAL")] == [
        ("Everyone: a request", None, "ack"),
        ("Just for you", ALICE.id, "ack"),
    ]
    bot.reply = (200, json.dumps({"text": "x", "blocks": [{"type": "section"}]}).encode())
    driver.slash_command(ALICE.id, "z")
    bot.reply = (500, b"")
    driver.slash_command(ALICE.id, "boom")
    assert [c.error for c in standin.api_errors()] == ["invalid_blocks", "http_500"]


def post_request(standin: SlackStandIn, **kwargs: Any) -> Any:
    client = WebClient(token=standin.bot_token, base_url=standin.api_url)
    blocks = [
        section("Alice wants Figma"),
        {
            "type": "actions",
            "block_id": "decide",
            "elements": [
                button("Approve", "approve", value="req-1", style="primary"),
                {
                    "type": "static_select",
                    "action_id": "tool",
                    "options": [{"text": {"type": "plain_text", "text": "Figma"}, "value": "figma"}],
                },
            ],
        },
    ]
    return client.chat_postMessage(channel="C0SEATS", text="Alice wants Figma", blocks=blocks, **kwargs)


def test_click_on_a_message(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    post_request(standin)
    [message] = standin.messages("C0SEATS")
    driver.click(BOB.id, action_id="approve", message=message)
    payload = bot.last()
    assert payload["type"] == "block_actions"
    assert payload["user"] == {
        "id": BOB.id,
        "username": "bob",
        "name": "bob",
        "team_id": "T0SEATBOT",
    }
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "C0SEATS",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "C0SEATS", "name": "seat-requests"}
    assert payload["message"]["ts"] == message.ts
    assert payload["message"]["blocks"] == message.blocks
    assert payload["state"] == {"values": {}}
    assert payload["response_url"]
    assert payload["trigger_id"]
    [action] = payload["actions"]
    assert action["action_id"] == "approve"
    assert action["block_id"] == "decide"
    assert action["value"] == "req-1"
    assert action["style"] == "primary"
    assert action["type"] == "button"
    assert action["text"]["text"] == "Approve"
    driver.click(BOB.id, action_id="approve", message=message, value="req-999")  # forged value
    assert bot.last()["actions"][0]["value"] == "req-999"
    driver.click(BOB.id, action_id="tool", message=message, value="figma")
    assert bot.last()["actions"][0]["selected_option"]["value"] == "figma"
    with pytest.raises(AssertionError, match="not offered"):
        driver.click(BOB.id, action_id="tool", message=message, value="slack")
    with pytest.raises(AssertionError, match="no element 'reject'"):
        driver.click(BOB.id, action_id="reject", message=message)


def test_click_picks_the_block_when_an_action_id_repeats(
    driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn
) -> None:
    rows = [
        section(f"Request {i}", block_id=f"req:{i}", accessory=button("Approve", "approve", value=f"r{i}"))
        for i in (1, 2)
    ]
    WebClient(token=standin.bot_token, base_url=standin.api_url).chat_postMessage(
        channel="C0SEATS", text="Queue", blocks=rows
    )
    [message] = standin.messages("C0SEATS")
    with pytest.raises(AssertionError, match=r"several blocks \['req:1', 'req:2'\]"):
        driver.click(BOB.id, action_id="approve", message=message)
    driver.click(BOB.id, action_id="approve", message=message, block_id="req:2")
    [action] = bot.last()["actions"]
    assert (action["block_id"], action["value"]) == ("req:2", "r2")


def test_click_on_an_ephemeral_message(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    client = WebClient(token=standin.bot_token, base_url=standin.api_url)
    client.chat_postEphemeral(
        channel="C0SEATS",
        user=ALICE.id,
        text="Confirm?",
        blocks=[section("Confirm?", accessory=button("Yes", "yes"))],
    )
    [message] = standin.ephemerals(ALICE.id)
    with pytest.raises(AssertionError, match="cannot see"):
        driver.click(BOB.id, action_id="yes", message=message)
    driver.click(ALICE.id, action_id="yes", message=message)
    payload = bot.last()
    assert payload["container"]["is_ephemeral"] is True
    assert "message" not in payload


def test_click_on_a_stale_message(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    ts = post_request(standin)["ts"]
    [before] = standin.messages("C0SEATS")
    WebClient(token=standin.bot_token, base_url=standin.api_url).chat_update(
        channel="C0SEATS", ts=ts, text="done", blocks=[section("done")]
    )
    with pytest.raises(AssertionError, match="stale=True"):
        driver.click(BOB.id, action_id="approve", message=before)
    driver.click(BOB.id, action_id="approve", message=before, stale=True)
    assert bot.last()["message"]["text"] == "Alice wants Figma"


def open_view(standin: SlackStandIn, view: dict[str, Any], user_id: str = ALICE.id) -> dict[str, Any]:
    client = WebClient(token=standin.bot_token, base_url=standin.api_url)
    return client.views_open(trigger_id=standin.new_trigger_id(user_id), view=view)["view"]


SEATS = {
    "type": "input",
    "block_id": "seats",
    "dispatch_action": True,
    "label": {"type": "plain_text", "text": "Seats"},
    "element": {
        "type": "number_input",
        "action_id": "count",
        "is_decimal_allowed": False,
        "min_value": "1",
        "max_value": "10",
        "initial_value": "1",
    },
}


def test_dispatching_input_in_a_view(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    view = open_view(standin, modal(SEATS, text_input("why", "why", optional=True)))
    driver.click(ALICE.id, action_id="count", view=view, value="4")
    payload = bot.last()
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert "response_url" not in payload
    assert "channel" not in payload
    assert payload["actions"][0]["value"] == "4"
    assert payload["actions"][0]["type"] == "number_input"
    assert payload["view"]["state"]["values"]["seats"]["count"] == {"type": "number_input", "value": "4"}
    with pytest.raises(AssertionError, match="outside"):
        driver.click(ALICE.id, action_id="count", view=view, value="11")
    with pytest.raises(AssertionError, match="without dispatch_action"):
        driver.click(ALICE.id, action_id="why", view=view, value="x")


def test_view_click_block_from_state_values(
    driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn
) -> None:
    second = {**SEATS, "block_id": "seats2"}
    view = open_view(standin, modal(SEATS, second))
    with pytest.raises(AssertionError, match="pass block_id="):
        driver.click(ALICE.id, action_id="count", view=view, value="2")
    typed = {"seats2": {"count": {"type": "number_input", "value": "2"}}}
    driver.click(ALICE.id, action_id="count", view=view, value="2", state_values=typed)
    assert bot.last()["actions"][0]["block_id"] == "seats2"


def test_submission_state_is_complete(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    view = open_view(
        standin,
        modal(SEATS, text_input("why", "why", optional=True), callback_id="request", private_metadata="m"),
    )
    driver.submit_view(ALICE.id, view, {"why": {"why": "design work"}})
    payload = bot.last()
    assert payload["type"] == "view_submission"
    assert payload["response_urls"] == []
    assert payload["trigger_id"]
    assert payload["view"]["callback_id"] == "request"
    assert payload["view"]["private_metadata"] == "m"
    assert payload["view"]["state"]["values"] == {
        "seats": {"count": {"type": "number_input", "value": "1"}},
        "why": {"why": {"type": "plain_text_input", "value": "design work"}},
    }
    assert standin.open_views(ALICE.id) == []  # an empty ack closes the modal
    with pytest.raises(AssertionError, match="not what"):
        driver.submit_view(ALICE.id, view, {})
    view = open_view(standin, modal(SEATS))
    with pytest.raises(AssertionError, match="no input block 'nope'"):
        driver.submit_view(ALICE.id, view, {"nope": {"x": "1"}})
    with pytest.raises(AssertionError, match="only accepts numbers"):
        driver.submit_view(ALICE.id, view, {"seats": {"count": "three"}})


def test_submission_response_actions(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    view = open_view(standin, modal(SEATS))
    bot.reply = (
        200,
        json.dumps(
            {
                "response_action": "update",
                "view": modal(section("Thanks"), submit={"type": "plain_text", "text": "OK"}),
            }
        ).encode(),
    )
    driver.submit_view(ALICE.id, view, {})
    [updated] = standin.open_views(ALICE.id)
    assert updated["id"] == view["id"]
    assert updated["blocks"][0]["text"]["text"] == "Thanks"
    bot.reply = (200, json.dumps({"response_action": "push", "view": modal(section("Pushed"))}).encode())
    driver.submit_view(ALICE.id, updated, {})
    assert [v["previous_view_id"] for v in standin.open_views(ALICE.id)] == [None, view["id"]]
    bot.reply = (200, json.dumps({"response_action": "clear"}).encode())
    driver.submit_view(ALICE.id, standin.open_views(ALICE.id)[-1], {})
    assert standin.open_views(ALICE.id) == []
    assert standin.api_errors() == []
    view = open_view(standin, modal(SEATS))
    bot.reply = (200, json.dumps({"response_action": "errors", "errors": {"count": "too many"}}).encode())
    driver.submit_view(ALICE.id, view, {})
    assert [c.error for c in standin.api_errors()] == ["invalid_errors"]  # keyed by action_id, not block_id
    assert len(standin.open_views(ALICE.id)) == 1


def test_close_view(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    quiet = open_view(standin, modal(section("x")))
    assert driver.close_view(ALICE.id, quiet) is None
    assert standin.open_views(ALICE.id) == []
    noisy = open_view(standin, modal(section("x"), notify_on_close=True))
    assert driver.close_view(ALICE.id, noisy) is not None
    payload = bot.last()
    assert payload["type"] == "view_closed"
    assert payload["is_cleared"] is True
    assert payload["view"]["id"] == noisy["id"]


def test_events(driver: SlackDriver, bot: CaptureBot, standin: SlackStandIn) -> None:
    driver.event(
        {"type": "member_joined_channel", "user": ALICE.id, "channel": "C0SEATS"}, event_id="Ev1", retry_num=1
    )
    envelope = bot.last()
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == "Ev1"
    assert envelope["api_app_id"] == "A0SEATBOT"
    assert envelope["event"]["event_ts"]
    assert envelope["authorizations"][0]["user_id"] == "U0SEATBOT"
    assert bot.requests[-1]["headers"]["X-Slack-Retry-Num"] == "1"
    WebClient(token=standin.bot_token, base_url=standin.api_url).views_publish(
        user_id=ALICE.id, view={"type": "home", "blocks": [section("hi")]}
    )
    driver.app_home_opened(ALICE.id)
    event = bot.last()["event"]
    assert event["type"] == "app_home_opened"
    assert event["tab"] == "home"
    assert event["channel"].startswith("D")
    assert event["view"]["type"] == "home"


def test_slow_ack_fails(standin: SlackStandIn, bot: CaptureBot) -> None:
    bot.delay = 0.3
    driver = SlackDriver(bot_url=bot.url, signing_secret=SECRET, standin=standin, ack_timeout=0.2)
    with pytest.raises(AssertionError, match="Slack gives up"):
        driver.slash_command(ALICE.id, "slow")
