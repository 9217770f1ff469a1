"""conversations.history (with message metadata), a post whose answer is lost, conversations.list."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standin import SlackStandIn
from tests.standin.conftest import ALICE, FakeClock

METADATA = {"event_type": "seatbot_outbox", "event_payload": {"outbox_id": 7}}


def test_history_lists_newest_first_with_metadata_only_when_asked(
    client: WebClient, standin: SlackStandIn, clock: FakeClock
) -> None:
    first = client.chat_postMessage(channel="C0SEATS", text="first")
    clock.advance(10)
    second = client.chat_postMessage(channel="C0SEATS", text="second", metadata=METADATA)
    history = client.conversations_history(channel="C0SEATS").data
    assert [m["text"] for m in history["messages"]] == ["second", "first"]
    assert "metadata" not in history["messages"][0]
    with_metadata = client.conversations_history(channel="C0SEATS", include_all_metadata=True).data
    assert with_metadata["messages"][0]["metadata"] == METADATA
    since = client.conversations_history(channel="C0SEATS", oldest=first["ts"]).data  # exclusive
    assert [m["ts"] for m in since["messages"]] == [second["ts"]]


def test_history_of_a_dm_opened_by_user_id(client: WebClient, standin: SlackStandIn) -> None:
    client.chat_postMessage(channel=ALICE.id, text="hello", metadata=METADATA)
    channel = client.conversations_open(users=ALICE.id)["channel"]["id"]
    messages = client.conversations_history(channel=channel, include_all_metadata=True)["messages"]
    assert [(m["text"], m["metadata"]["event_payload"]) for m in messages] == [("hello", {"outbox_id": 7})]


def test_history_pages_with_a_cursor(client: WebClient, standin: SlackStandIn, clock: FakeClock) -> None:
    for n in range(3):
        clock.advance(1)
        client.chat_postMessage(channel="C0SEATS", text=str(n))
    page = client.conversations_history(channel="C0SEATS", limit=2).data
    assert ([m["text"] for m in page["messages"]], page["has_more"]) == (["2", "1"], True)
    rest = client.conversations_history(
        channel="C0SEATS", limit=2, cursor=page["response_metadata"]["next_cursor"]
    ).data
    assert ([m["text"] for m in rest["messages"]], rest["has_more"]) == (["0"], False)


def test_history_of_a_channel_the_bot_is_not_in(client: WebClient, standin: SlackStandIn) -> None:
    standin.add_channel("C0ELSEWHERE", "elsewhere", bot_is_member=False)
    with pytest.raises(SlackApiError) as raised:
        client.conversations_history(channel="C0ELSEWHERE")
    assert raised.value.response["error"] == "not_in_channel"


def test_a_post_that_lands_but_whose_answer_is_lost(client: WebClient, standin: SlackStandIn) -> None:
    impatient = WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=1, retry_handlers=[])
    standin.fail_next("chat.postMessage", lands=True, hang_seconds=2)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C0SEATS", text="did it land?", metadata=METADATA)
    landed = standin.messages("C0SEATS")
    assert [(m.text, m.metadata) for m in landed] == [("did it land?", METADATA)]
    client.chat_postMessage(channel="C0SEATS", text="next")  # the fault was used up
    assert len(standin.messages("C0SEATS")) == 2


def test_conversations_list_finds_channels_by_name_a_page_at_a_time(
    client: WebClient, standin: SlackStandIn
) -> None:
    standin.add_channel("C0ALERTS", "seat-alerts")
    standin.add_channel("G0PRIVATE", "billing", bot_is_member=False)
    client.conversations_open(users=ALICE.id)  # a DM: never listed unless asked for
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.conversations_list(types="public_channel,private_channel", limit=1, cursor=cursor)
        seen += page["channels"]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert [(c["id"], c["name"], c["is_private"]) for c in seen] == [
        ("C0GENERAL", "general", False),  # every workspace has one
        ("C0SEATS", "seat-requests", False),
        ("C0ALERTS", "seat-alerts", False),
        ("G0PRIVATE", "billing", True),
    ]
    assert seen[-1]["is_member"] is False
    public = client.conversations_list()["channels"]  # public channels by default
    assert [c["id"] for c in public] == ["C0GENERAL", "C0SEATS", "C0ALERTS"]
    assert [c["is_im"] for c in client.conversations_list(types="im")["channels"]] == [True]
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        client.conversations_list(cursor="bogus!")
    with pytest.raises(SlackApiError, match="invalid_types"):
        client.conversations_list(types="public_channel,rooms")


def test_info_says_whether_the_bot_is_in_the_channel(client: WebClient, standin: SlackStandIn) -> None:
    standin.add_channel("C0OUT", "outside", bot_is_member=False)
    assert client.conversations_info(channel="C0SEATS")["channel"]["is_member"] is True
    outside = client.conversations_info(channel="C0OUT")["channel"]
    assert (outside["name"], outside["is_member"], outside["is_private"]) == ("outside", False, False)
    with pytest.raises(SlackApiError) as unknown:
        client.conversations_info(channel="C0NOPE")
    assert unknown.value.response["error"] == "channel_not_found"


def test_a_private_channel_the_bot_is_not_in_is_not_found(client: WebClient, standin: SlackStandIn) -> None:
    standin.add_channel("G0SECRET", "secret", bot_is_member=False)
    standin.add_channel("G0INVITED", "invited")
    assert client.conversations_info(channel="G0INVITED")["channel"]["is_private"] is True
    for method in (client.conversations_info, client.conversations_join):
        with pytest.raises(SlackApiError) as hidden:
            method(channel="G0SECRET")
        assert hidden.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as private:
        client.conversations_join(channel="G0INVITED")
    assert private.value.response["error"] == "method_not_supported_for_channel_type"
    standin.api_errors()  # the errors above were asked for


def test_join_puts_the_bot_in_a_public_channel(client: WebClient, standin: SlackStandIn) -> None:
    standin.add_channel("C0OUT", "outside", bot_is_member=False)
    joined = client.conversations_join(channel="C0OUT")
    assert joined["channel"]["is_member"] is True
    assert client.conversations_info(channel="C0OUT")["channel"]["is_member"] is True
    client.chat_postMessage(channel="C0OUT", text="hello")  # no longer not_in_channel
    again = client.conversations_join(channel="C0OUT")
    assert again["warning"] == "already_in_channel"
