"""End to end: a real slack_bolt App behind waitress, driven by SlackDriver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from waitress import create_server

from standin import SlackDriver, SlackStandIn, render_message
from tests.standin.conftest import ALICE, BOB, button, modal, section, text_input

SECRET = "e2e-signing-secret"


def build_app(standin: SlackStandIn) -> App:
    client = WebClient(token=standin.bot_token, base_url=standin.api_url)
    app = App(client=client, signing_secret=SECRET)

    @app.command("/seats")
    def seats(ack: Ack, respond: Respond, command: dict[str, Any], client: WebClient) -> None:
        if command["text"] == "request":
            ack()
            view = modal(
                text_input("tool", "tool_name"),
                text_input("why", "why", optional=True),
                callback_id="request",
            )
            client.views_open(trigger_id=command["trigger_id"], view=view)
            return
        ack(f"Working on `{command['text']}`…")
        respond(text=f"Request for {command['text']} sent")
        client.chat_postMessage(
            channel="C0SEATS",
            text=f"<@{command['user_id']}> wants {command['text']}",
            blocks=[
                section(f"<@{command['user_id']}> wants *{command['text']}*"),
                {
                    "type": "actions",
                    "elements": [
                        button("Approve", "approve", value=command["text"], style="primary"),
                        button("Decline", "decline", style="danger"),
                    ],
                },
            ],
        )

    @app.action("approve")
    def approve(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        respond(
            replace_original=True, text=f"{body['actions'][0]['value']} approved by <@{body['user']['id']}>"
        )

    @app.view("request")
    def submitted(ack: Ack, view: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        tool = view["state"]["values"]["tool"]["tool_name"]["value"]
        if tool.lower() == "fax":
            ack(response_action="errors", errors={"tool": "We do not buy fax seats"})
            return
        ack()
        client.chat_postMessage(channel=body["user"]["id"], text=f"Requested {tool}")

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": [section(f"Hi <@{event['user']}>")]}
        )

    return app


@pytest.fixture
def live() -> Iterator[tuple[SlackStandIn, SlackDriver]]:
    with SlackStandIn() as standin:
        standin.add_user(ALICE)
        standin.add_user(BOB)
        standin.add_channel("C0SEATS", "seat-requests")
        server = create_server(SlackRequestHandler(build_app(standin)), host="127.0.0.1", port=0)
        stopping = threading.Event()

        def serve() -> None:
            try:
                server.run()
            except (OSError, ValueError):
                # close() from another thread pulls the socket out from under select().
                if not stopping.is_set():
                    raise

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.effective_port}/slack/events"
            yield standin, SlackDriver(bot_url=url, signing_secret=SECRET, standin=standin)
        finally:
            stopping.set()
            server.close()
            thread.join(timeout=2)
        assert standin.api_errors() == [], standin.dump()


def test_slash_command_then_button(live: tuple[SlackStandIn, SlackDriver]) -> None:
    standin, driver = live
    result = driver.slash_command(ALICE.id, "Figma")
    assert result.status == 200
    assert standin.calls_to("auth.test")  # bolt checked its token against the stand-in
    [post] = standin.wait_for(lambda: standin.messages("C0SEATS"))
    shown = standin.wait_for(lambda: e if len(e := standin.ephemerals(ALICE.id)) == 2 else None)
    # The ack body and the respond() call race each other, in Slack too: compare as a set.
    assert {(m.text, m.via) for m in shown} == {
        ("Working on `Figma`…", "ack"),
        ("Request for Figma sent", "response_url"),
    }
    assert render_message(post.blocks, post.text, names=standin.name_of).splitlines() == [
        "@Alice Martin wants *Figma*",
        "[ Approve ] (primary)   [ Decline ] (danger)",
    ]

    driver.click(BOB.id, action_id="approve", message=post)
    approved = standin.wait_for(lambda: [m for m in standin.messages("C0SEATS") if "approved" in m.text])
    assert approved[0].text == "Figma approved by <@U0BOB>"
    assert approved[0].ts == post.ts
    with pytest.raises(AssertionError, match="no element 'approve'"):
        driver.click(BOB.id, action_id="approve", message=post)  # the buttons are gone now


def test_modal_submission_with_errors_then_success(live: tuple[SlackStandIn, SlackDriver]) -> None:
    standin, driver = live
    driver.slash_command(ALICE.id, "request")
    [view] = standin.wait_for(lambda: standin.open_views(ALICE.id))
    with pytest.raises(AssertionError, match="required input 'tool' is empty"):
        driver.submit_view(ALICE.id, view, {})
    refused = driver.submit_view(ALICE.id, view, {"tool": {"tool_name": "Fax"}})
    assert refused.json() == {"response_action": "errors", "errors": {"tool": "We do not buy fax seats"}}
    assert len(standin.open_views(ALICE.id)) == 1
    driver.submit_view(ALICE.id, view, {"tool": {"tool_name": {"type": "plain_text_input", "value": "Miro"}}})
    assert standin.open_views(ALICE.id) == []
    [dm] = standin.wait_for(lambda: standin.dm(ALICE.id))
    assert dm.text == "Requested Miro"


def test_home_tab(live: tuple[SlackStandIn, SlackDriver]) -> None:
    standin, driver = live
    driver.app_home_opened(ALICE.id)
    home = standin.wait_for(lambda: standin.home(ALICE.id))
    assert home["blocks"][0]["text"]["text"] == f"Hi <@{ALICE.id}>"


def test_forged_and_stale_requests_are_refused(live: tuple[SlackStandIn, SlackDriver]) -> None:
    _, driver = live
    body = b"command=%2Fseats&text=x&user_id=U0ALICE"
    assert (
        driver.post_raw(
            body, content_type="application/x-www-form-urlencoded", signature="v0=" + "0" * 64
        ).status
        == 401
    )
    stale = str(int(driver.clock()) - 600)
    assert (
        driver.post_raw(body, content_type="application/x-www-form-urlencoded", timestamp=stale).status == 401
    )


def test_signatures_match_slack_sdk() -> None:
    import time

    from standin.signing import sign

    body = b'{"type":"event_callback"}'
    ts = str(int(time.time()))
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(body=body, timestamp=ts, signature=sign(SECRET, ts, body))
    assert sign(SECRET, ts, body) == verifier.generate_signature(timestamp=ts, body=body)
