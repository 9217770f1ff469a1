"""Socket Mode: a real Bolt SocketModeHandler (slack_sdk's builtin client) against the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from standin import SlackDriver, SlackStandIn
from tests.standin.conftest import ALICE, BOB, button, modal, section, text_input


def build_app(standin: SlackStandIn) -> App:
    app = App(client=WebClient(token=standin.bot_token, base_url=standin.api_url))

    @app.command("/seats")
    def seats(ack: Ack, respond: Respond, command: dict[str, Any], client: WebClient) -> None:
        ack(f"Got {command['text']}")
        client.chat_postMessage(
            channel="C0SEATS",
            text="Request",
            blocks=[
                section("Request"),
                {"type": "actions", "elements": [button("Approve", "approve", value="r1")]},
            ],
        )
        client.views_open(
            trigger_id=command["trigger_id"], view=modal(text_input("tool", "tool"), callback_id="req")
        )

    @app.action("approve")
    def approve(ack: Ack, respond: Respond) -> None:
        ack()
        respond(replace_original=True, text="Approved")

    @app.view("req")
    def submitted(ack: Ack, view: dict[str, Any]) -> None:
        value = view["state"]["values"]["tool"]["tool"]["value"]
        ack(response_action="errors", errors={"tool": f"{value}? no"})

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": [section("Home")]})

    return app


@pytest.fixture
def connected() -> Iterator[tuple[SlackStandIn, SlackDriver]]:
    with SlackStandIn() as standin:
        standin.add_user(ALICE)
        standin.add_user(BOB)
        standin.add_channel("C0SEATS", "seat-requests")
        handler = SocketModeHandler(build_app(standin), app_token=standin.app_token)
        # The builtin client blocks close() and reconnects for up to receive_timeout.
        handler.client.receive_timeout = 0.2
        handler.connect()
        try:
            standin.wait_for(lambda: standin.socket_connections, timeout=5)
            driver = SlackDriver(bot_url="", signing_secret="unused", standin=standin, transport="socket")
            yield standin, driver
        finally:
            handler.close()
        assert standin.api_errors() == [], standin.dump()


def test_connections_open_needs_the_app_token(standin: SlackStandIn, client: WebClient) -> None:
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        client.apps_connections_open(app_token=standin.bot_token)
    url = client.apps_connections_open(app_token=standin.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:")
    assert "ticket=" in url


def test_bolt_over_socket_mode(connected: tuple[SlackStandIn, SlackDriver]) -> None:
    standin, driver = connected
    assert standin.calls_to("apps.connections.open")[0].ok
    result = driver.slash_command(ALICE.id, "Figma", channel_id="C0SEATS")
    assert result.json() == {"text": "Got Figma"}
    [view] = standin.wait_for(lambda: standin.open_views(ALICE.id))
    [post] = [m for m in standin.wait_for(lambda: standin.messages("C0SEATS")) if m.ephemeral_for is None]
    driver.click(BOB.id, action_id="approve", message=post)
    standin.wait_for(lambda: standin.message("C0SEATS", post.ts).text == "Approved")  # type: ignore[union-attr]
    refused = driver.submit_view(ALICE.id, view, {"tool": {"tool": "Fax"}})
    assert refused.json() == {"response_action": "errors", "errors": {"tool": "Fax? no"}}
    driver.app_home_opened(ALICE.id)
    assert standin.wait_for(lambda: standin.home(ALICE.id))["blocks"][0]["text"]["text"] == "Home"

    # Slack asks clients to reconnect from time to time; the next envelope must still arrive.
    # (Same test as above: every builtin client close costs ~3 s, so the suite reuses one.)
    standin.socket_disconnect()
    standin.wait_for(lambda: standin.socket_connects == 2 and standin.socket_connections == 1)
    assert len(standin.calls_to("apps.connections.open")) == 2
    assert driver.slash_command(ALICE.id, "again").json() == {"text": "Got again"}
