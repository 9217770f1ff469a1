"""Slack payloads parsed once into typed requests: any shape in, a request or None out."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack import inbound

USER = {"id": "U0OWNER", "team_id": "T0SEATBOT", "locale": "fr-FR"}
TEAM = {"id": "T0SEATBOT"}
VIEW = {
    "id": "V0000000001",
    "hash": "1700000000.abcd",
    "callback_id": "change_seats",
    "private_metadata": '{"mode": "request"}',
    "state": {"values": {"seats:support": {"seats": {"type": "number_input", "value": "12"}}}},
    "blocks": [{"type": "input", "block_id": "seats:support"}],
}


def test_a_well_formed_action_reads_whole() -> None:
    body = {
        "type": "block_actions",
        "user": USER,
        "team": TEAM,
        "trigger_id": "123.456.abc",
        "response_url": "https://hooks.slack.com/actions/T/1/x",
        "actions": [{"action_id": "seats", "value": "12"}],
        "view": VIEW,
    }
    action = inbound.action(body)
    assert action is not None
    assert (action.origin.team_id, action.origin.user_id, action.origin.locale) == (
        "T0SEATBOT",
        "U0OWNER",
        "fr-FR",
    )
    assert (action.action_id, action.value, action.trigger_id) == ("seats", "12", "123.456.abc")
    assert action.view is not None
    assert action.view.values["seats:support"]["seats"]["value"] == "12"


@pytest.mark.parametrize(
    "body",
    [
        {},  # nothing at all
        {"user": "U0OWNER", "team": TEAM, "actions": [{"action_id": "x"}]},  # user not an object
        {"user": {"id": 7}, "team": TEAM, "actions": [{"action_id": "x"}]},  # id not text
        {"user": {"id": "not-an-id"}, "team": TEAM, "actions": [{"action_id": "x"}]},
        {"user": USER, "team": {"id": "<script>"}, "actions": [{"action_id": "x"}]},  # forged team id
        {"user": USER, "team": TEAM, "actions": []},  # empty actions
        {"user": USER, "team": TEAM, "actions": "approve"},  # actions not a list
        {"user": USER, "team": TEAM, "actions": [None]},
        {"user": USER, "team": TEAM, "actions": [{"value": "1"}]},  # no action_id
    ],
)
def test_malformed_actions_read_as_nothing(body: dict[str, Any]) -> None:
    assert inbound.action(body) is None


@pytest.mark.parametrize(
    ("state", "kept"),
    [
        ("values", {}),  # state not an object
        ({"values": ["a"]}, {}),  # values not an object
        ({"values": {"seats:support": "12"}}, {}),  # a block that is not an object
        ({"values": {"seats:support": {"seats": 12}}}, {"seats:support": {}}),  # an element that is not
        (
            {"values": {"seats:support": {"seats": {"value": "3"}}}},
            {"seats:support": {"seats": {"value": "3"}}},
        ),
    ],
)
def test_view_state_keeps_only_what_is_shaped_as_slack_shapes_it(state: object, kept: dict[str, Any]) -> None:
    sent = inbound.submission({"user": USER, "team": TEAM, "view": {**VIEW, "state": state}})
    assert sent is not None
    assert dict(sent.view.values) == kept


def test_an_action_outside_a_modal_has_no_view_and_odd_optional_fields_read_as_absent() -> None:
    body = {
        "user": USER,
        "team": TEAM,
        "actions": [{"action_id": "seats", "value": {"x": 1}}],
        "trigger_id": ["t"],
        "response_url": "javascript:alert(1)",
        "view": "V1",
    }
    action = inbound.action(body)
    assert action is not None
    assert (action.value, action.trigger_id, action.response_url, action.view) == ("", None, None, None)


def test_commands_need_a_user_and_a_team() -> None:
    assert inbound.command({"team_id": "T0SEATBOT", "text": "x"}) is None
    command = inbound.command({"team_id": "T0SEATBOT", "user_id": "U0OWNER", "text": "a" * 10_000})
    assert command is not None
    assert len(command.text) == inbound.MAX_TEXT
    assert command.trigger_id is None


def test_the_workspace_is_the_one_bolt_authorizes_for() -> None:
    """A modal names the workspace that installed the app that opened it; Bolt answers
    with that workspace's token, so that is the account acted on, whatever `team` says."""
    body = {
        "user": {**USER, "team_id": "T0OTHER"},
        "team": {"id": "T0OTHER"},
        "view": {**VIEW, "team_id": "T0OTHER", "app_installed_team_id": "T0SEATBOT"},
        "actions": [{"action_id": "x", "value": "1"}],
    }
    action = inbound.action(body)
    sent = inbound.submission(body)
    assert action is not None
    assert sent is not None
    assert action.origin.team_id == sent.origin.team_id == "T0SEATBOT"
    # Without a modal, the payload's team, as before.
    plain = inbound.action({k: v for k, v in body.items() if k != "view"})
    assert plain is not None
    assert plain.origin.team_id == "T0OTHER"
