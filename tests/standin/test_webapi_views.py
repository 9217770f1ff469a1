"""views.* methods: triggers, the modal stack, hashes, Home tabs."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standin import SlackStandIn
from tests.standin.conftest import ALICE, BOB, FakeClock, modal, section, text_input


def open_modal(
    client: WebClient, standin: SlackStandIn, user_id: str = ALICE.id, **extra: object
) -> dict[str, object]:
    view = modal(text_input("reason", "reason"), **extra)
    return client.views_open(trigger_id=standin.new_trigger_id(user_id), view=view)["view"]


def test_views_open_returns_the_stored_view(client: WebClient, standin: SlackStandIn) -> None:
    view = open_modal(client, standin, callback_id="request", private_metadata="req-1")
    assert str(view["id"]).startswith("V")
    assert view["root_view_id"] == view["id"]
    assert view["previous_view_id"] is None
    assert view["state"] == {"values": {}}
    assert view["team_id"] == "T0SEATBOT"
    assert view["app_id"] == "A0SEATBOT"
    assert view["bot_id"] == "B0SEATBOT"
    assert view["callback_id"] == "request"
    assert view["private_metadata"] == "req-1"
    assert view["external_id"] == ""
    assert view["hash"]
    assert view["blocks"][0]["block_id"] == "reason"
    assert [v["id"] for v in standin.open_views(ALICE.id)] == [view["id"]]
    assert standin.open_views(BOB.id) == []


def test_trigger_ids_expire_and_are_single_use(
    client: WebClient, standin: SlackStandIn, clock: FakeClock
) -> None:
    view = modal(section("hi"))
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id="1.2.nope", view=view)
    trigger = standin.new_trigger_id(ALICE.id)
    client.views_open(trigger_id=trigger, view=view)
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        client.views_open(trigger_id=trigger, view=view)
    late = standin.new_trigger_id(ALICE.id)
    clock.advance(3.01)
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        client.views_open(trigger_id=late, view=view)


def test_invalid_view_is_invalid_arguments_and_keeps_the_trigger(
    client: WebClient, standin: SlackStandIn
) -> None:
    trigger = standin.new_trigger_id(ALICE.id)
    with pytest.raises(SlackApiError) as info:
        client.views_open(
            trigger_id=trigger, view=modal(section("x"), title={"type": "plain_text", "text": "x" * 30})
        )
    data = info.value.response.data
    assert data["error"] == "invalid_arguments"
    assert data["response_metadata"]["messages"] == [
        "[ERROR] text must be at most 24 characters (got 30) [json-pointer:/view/title/text]"
    ]
    assert client.views_open(trigger_id=trigger, view=modal(section("x")))["ok"]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_open(
            trigger_id=standin.new_trigger_id(ALICE.id), view={"type": "home", "blocks": [section("x")]}
        )


def test_push_builds_a_stack_of_three(client: WebClient, standin: SlackStandIn) -> None:
    root = open_modal(client, standin)
    second = client.views_push(trigger_id=standin.new_trigger_id(ALICE.id), view=modal(section("2")))["view"]
    assert second["root_view_id"] == root["id"]
    assert second["previous_view_id"] == root["id"]
    client.views_push(trigger_id=standin.new_trigger_id(ALICE.id), view=modal(section("3")))
    with pytest.raises(SlackApiError, match="push_limit_reached"):
        client.views_push(trigger_id=standin.new_trigger_id(ALICE.id), view=modal(section("4")))
    assert len(standin.open_views(ALICE.id)) == 3
    with pytest.raises(SlackApiError, match="not_found"):
        client.views_push(trigger_id=standin.new_trigger_id(BOB.id), view=modal(section("x")))


def test_update_by_id_external_id_and_hash(client: WebClient, standin: SlackStandIn) -> None:
    view = open_modal(client, standin, external_id="req-42")
    updated = client.views_update(
        view_id=view["id"], hash=view["hash"], view=modal(section("done"), external_id="req-42")
    )["view"]
    assert updated["id"] == view["id"]
    assert updated["hash"] != view["hash"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal(section("stale")))
    again = client.views_update(
        external_id="req-42", view=modal(section("by external id"), external_id="req-42")
    )["view"]
    assert again["blocks"][0]["text"]["text"] == "by external id"
    with pytest.raises(SlackApiError, match="not_found"):
        client.views_update(view_id="V404", view=modal(section("x")))
    with pytest.raises(SlackApiError, match="duplicate_external_id"):
        client.views_open(
            trigger_id=standin.new_trigger_id(BOB.id), view=modal(section("x"), external_id="req-42")
        )


def test_publish_home(client: WebClient, standin: SlackStandIn) -> None:
    assert standin.home(ALICE.id) is None
    first = client.views_publish(user_id=ALICE.id, view={"type": "home", "blocks": [section("v1")]})["view"]
    second = client.views_publish(
        user_id=ALICE.id, hash=first["hash"], view={"type": "home", "blocks": [section("v2")]}
    )["view"]
    assert second["id"] == first["id"]
    assert second["type"] == "home"
    assert standin.home(ALICE.id)["blocks"][0]["text"]["text"] == "v2"  # type: ignore[index]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        client.views_publish(
            user_id=ALICE.id, hash=first["hash"], view={"type": "home", "blocks": [section("v3")]}
        )
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id=ALICE.id, view=modal(section("not a home")))
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.views_publish(user_id="U0NOBODY", view={"type": "home", "blocks": [section("x")]})
