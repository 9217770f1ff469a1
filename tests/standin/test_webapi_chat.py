"""chat.* methods, authentication, argument encodings and recording."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standin import SlackStandIn
from tests.standin.conftest import ALICE, BOB, button, section


def raw_call(
    standin: SlackStandIn,
    method: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: str = "",
) -> dict[str, Any]:
    request = urllib.request.Request(f"{standin.api_url}{method}{query}", data=data, headers=headers or {})
    with urllib.request.urlopen(request, timeout=3) as response:
        assert response.status == 200
        return json.loads(response.read())


def test_auth_test(client: WebClient, standin: SlackStandIn) -> None:
    data = client.auth_test().data
    assert data == {
        "ok": True,
        "url": "https://acme.slack.com/",
        "team": "Acme",
        "user": "seatbot",
        "team_id": "T0SEATBOT",
        "user_id": "U0SEATBOT",
        "bot_id": "B0SEATBOT",
        "is_enterprise_install": False,
    }


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "not_authed"),
        ({"Authorization": "Bearer xoxb-wrong"}, "invalid_auth"),
        ({"Authorization": "Bearer xapp-standin"}, "not_allowed_token_type"),
    ],
)
def test_every_method_checks_the_token(standin: SlackStandIn, headers: dict[str, str], error: str) -> None:
    body = raw_call(standin, "chat.postMessage", data=b"channel=C0GENERAL&text=hi", headers=headers)
    assert body == {"ok": False, "error": error}
    assert standin.api_errors()[0].error == error


def test_unknown_method(standin: SlackStandIn) -> None:
    assert (
        raw_call(standin, "chat.postMesage", data=b"", headers={"Authorization": "Bearer xoxb-standin"})[
            "error"
        ]
        == "unknown_method"
    )


def test_form_get_and_json_encodings(standin: SlackStandIn) -> None:
    blocks = json.dumps([section("form blocks")])
    form = f"token=xoxb-standin&channel=C0GENERAL&text=hi&blocks={urllib.request.quote(blocks)}".encode()
    assert raw_call(standin, "chat.postMessage", data=form)["ok"]
    assert (
        raw_call(standin, "users.info", query="?token=xoxb-standin&user=U0ALICE")["user"]["id"] == "U0ALICE"
    )
    json_body = json.dumps({"channel": "C0GENERAL", "text": "json"}).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "Authorization": "Bearer xoxb-standin"}
    assert raw_call(standin, "chat.postMessage", data=json_body, headers=headers)["ok"]
    # Slack ignores a token inside a JSON body.
    sneaky = json.dumps({"channel": "C0GENERAL", "text": "x", "token": "xoxb-standin"}).encode()
    assert (
        raw_call(standin, "chat.postMessage", data=sneaky, headers={"Content-Type": "application/json"})[
            "error"
        ]
        == "not_authed"
    )
    assert [m.text for m in standin.messages("C0GENERAL")] == ["hi", "json"]
    assert standin.messages("C0GENERAL")[0].blocks[0]["text"]["text"] == "form blocks"


def test_post_message_shape_and_ts(client: WebClient, standin: SlackStandIn) -> None:
    first = client.chat_postMessage(channel="C0SEATS", text="one")
    second = client.chat_postMessage(channel="C0SEATS", text="two", blocks=[section("*two*")])
    assert first["channel"] == "C0SEATS"
    assert float(second["ts"]) > float(first["ts"])
    assert len(first["ts"].split(".")[1]) == 6
    message = second["message"]
    assert message["user"] == "U0SEATBOT"
    assert message["bot_id"] == "B0SEATBOT"
    assert message["type"] == "message"
    assert message["blocks"][0]["block_id"]  # Slack fills in block ids
    stored = standin.messages("C0SEATS")
    assert [m.text for m in stored] == ["one", "two"]
    assert stored[1].via == "api"
    assert standin.calls_to("chat.postMessage")[1].params["channel"] == "C0SEATS"


def test_post_to_user_id_goes_to_the_dm(client: WebClient, standin: SlackStandIn) -> None:
    response = client.chat_postMessage(channel=ALICE.id, text="hello")
    opened = client.conversations_open(users=ALICE.id)["channel"]["id"]
    assert response["channel"] == opened
    assert opened.startswith("D")
    assert [m.text for m in standin.dm(ALICE.id)] == ["hello"]
    assert standin.dm(BOB.id) == []


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        ({"channel": "U0NOBODY", "text": "x"}, "channel_not_found"),
        ({"channel": "C0GENERAL"}, "no_text"),
        ({"channel": "C0GENERAL", "text": "x" * 40001}, "msg_too_long"),
        ({"channel": "C0GENERAL", "text": "x", "blocks": [{"type": "section"}]}, "invalid_blocks"),
        ({"channel": "C0GENERAL", "text": "x", "blocks": "{not json"}, "invalid_blocks_format"),
        ({"channel": "C0GENERAL", "text": "x", "metadata": {"event_type": "x"}}, "invalid_metadata_format"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_errors(
    client: WebClient, standin: SlackStandIn, kwargs: dict[str, Any], error: str
) -> None:
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(**kwargs)
    assert info.value.response["error"] == error
    assert [c.error for c in standin.api_errors()] == [error]


def test_invalid_blocks_lists_errors(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0GENERAL", text="x", blocks=[section("ok", colour="red")])
    data = info.value.response.data
    assert data["errors"] == ["invalid additional property: colour [json-pointer:/blocks/0/colour]"]
    assert data["response_metadata"]["messages"] == [
        "[ERROR] invalid additional property: colour [json-pointer:/blocks/0/colour]"
    ]


def test_missing_text_and_unknown_arguments_are_warnings(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.warns(UserWarning, match="top-level `text`"):  # slack_sdk itself warns about the missing text
        client.chat_postMessage(channel="C0GENERAL", blocks=[section("only blocks")])
    client.api_call("chat.postMessage", json={"channel": "C0GENERAL", "text": "x", "block": []})
    assert standin.api_warnings() == [
        ("chat.postMessage", "missing_text"),
        ("chat.postMessage", "unknown_argument:block"),
    ]
    assert standin.api_errors() == []


def test_not_in_channel_is_not_a_caller_bug(client: WebClient, standin: SlackStandIn) -> None:
    standin.add_channel("C0PRIVATE", "private", bot_is_member=False)
    with pytest.raises(SlackApiError, match="not_in_channel"):
        client.chat_postMessage(channel="C0PRIVATE", text="x")
    assert standin.api_errors() == []
    standin.remove_channel("C0PRIVATE")
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.chat_postMessage(channel="C0PRIVATE", text="x")


def test_update_keeps_history(client: WebClient, standin: SlackStandIn) -> None:
    posted = client.chat_postMessage(
        channel="C0SEATS", text="pending", blocks=[section("pending", accessory=button("Approve", "approve"))]
    )
    updated = client.chat_update(
        channel="C0SEATS", ts=posted["ts"], text="approved", blocks=[section("approved")]
    )
    assert updated["ts"] == posted["ts"]
    assert updated["text"] == "approved"
    [message] = standin.messages("C0SEATS")
    assert message.text == "approved"
    assert [e.text for e in message.edits] == ["pending"]
    client.chat_update(channel="C0SEATS", ts=posted["ts"], text="approved!")  # blocks kept when omitted
    assert standin.message("C0SEATS", posted["ts"]).blocks[0]["text"]["text"] == "approved"  # type: ignore[union-attr]


def test_update_and_delete_errors(client: WebClient, standin: SlackStandIn) -> None:
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel="C0SEATS", ts="1.000001", text="x")
    posted = client.chat_postMessage(channel="C0SEATS", text="x")
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.chat_update(channel="C0SEATS", ts=posted["ts"], text="x", blocks=[{"type": "nope"}])
    client.chat_delete(channel="C0SEATS", ts=posted["ts"])
    assert standin.messages("C0SEATS") == []
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_delete(channel="C0SEATS", ts=posted["ts"])


def test_post_ephemeral(client: WebClient, standin: SlackStandIn) -> None:
    response = client.chat_postEphemeral(channel="C0SEATS", user=ALICE.id, text="only you")
    assert response["message_ts"]
    [message] = standin.ephemerals(ALICE.id)
    assert message.ephemeral_for == ALICE.id
    assert message.channel == "C0SEATS"
    assert standin.ephemerals(BOB.id) == []
    dm = client.conversations_open(users=ALICE.id)["channel"]["id"]
    with pytest.raises(SlackApiError, match="user_not_in_channel"):
        client.chat_postEphemeral(channel=dm, user=BOB.id, text="not your DM")
    with pytest.raises(SlackApiError, match="message_not_found"):  # ephemerals cannot be edited
        client.chat_update(channel="C0SEATS", ts=response["message_ts"], text="x")


def test_reset_keeps_people_and_channels(client: WebClient, standin: SlackStandIn) -> None:
    client.chat_postMessage(channel="C0SEATS", text="x")
    standin.reset()
    assert standin.calls == []
    assert standin.messages("C0SEATS") == []
    assert client.users_info(user=ALICE.id)["ok"]
    assert client.chat_postMessage(channel="C0SEATS", text="y")["ok"]


def test_channel_names_work_with_a_warning(client: WebClient, standin: SlackStandIn) -> None:
    assert client.chat_postMessage(channel="#seat-requests", text="x")["channel"] == "C0SEATS"
    assert standin.api_warnings() == [("chat.postMessage", "channel_name_used")]


def test_people_messages_cannot_be_edited_by_the_bot(client: WebClient, standin: SlackStandIn) -> None:
    message = standin.add_message("C0SEATS", ALICE.id, "I need Figma")
    with pytest.raises(SlackApiError, match="cant_update_message"):
        client.chat_update(channel="C0SEATS", ts=message.ts, text="edited")
    with pytest.raises(SlackApiError, match="cant_delete_message"):
        client.chat_delete(channel="C0SEATS", ts=message.ts)
