"""Button clicks of any shape (actions, values, missing trigger_id/user/container/view), signed."""

from __future__ import annotations

import copy
import time
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from standin import payloads
from standin.models import SlackUser
from tests.properties.conftest import Family, PropertyBot
from tests.properties.report import finish
from tests.properties.strategies import (
    ACTION_IDS,
    ACTION_VALUES,
    PROPERTY_SETTINGS,
    STATE_VALUES,
    USERS,
    any_json,
)
from tests.properties.test_view_submissions import _base_views

DROPPABLE = ["trigger_id", "user", "container", "view", "channel", "message", "response_url", "team", "state"]


def test_any_click_gets_a_calm_answer(prop_bot: PropertyBot) -> None:
    family = Family(prop_bot.backend)
    views = _base_views(prop_bot)

    @PROPERTY_SETTINGS
    @given(
        user=USERS,
        where=st.sampled_from(["message", "ephemeral", "modal", "home"]),
        action_id=ACTION_IDS,
        value=ACTION_VALUES,
        values=STATE_VALUES,
        actions_shape=st.sampled_from(["one", "one", "one", "two", "empty", "any list", "not a list"]),
        odd=any_json,
        dropped=st.lists(st.sampled_from(DROPPABLE), max_size=3, unique=True),
        replaced=st.lists(st.sampled_from(DROPPABLE), max_size=1),
        with_response_url=st.booleans(),
    )
    def case(
        user: str,
        where: str,
        action_id: str,
        value: Any,
        values: Any,
        actions_shape: str,
        odd: Any,
        dropped: list[str],
        replaced: list[str],
        with_response_url: bool,
    ) -> None:
        slack = prop_bot.slack
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": "b",
            "type": "button",
            "text": {"type": "plain_text", "text": "Go"},
            "value": value,
            "action_ts": f"{time.time():.6f}",
        }
        view = copy.deepcopy(views[0])
        view["state"] = {"values": values}
        container: dict[str, Any]
        if where in ("modal", "home"):
            container = {"type": "view", "view_id": view.get("id")}
        else:
            container = {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": "C0GENERAL",
                "is_ephemeral": where == "ephemeral",
            }
        payload: dict[str, Any] = payloads.block_actions(
            team_id=slack.team_id,
            team_name=slack.team_name,
            api_app_id="A0SEATBOT",
            person=SlackUser(id=user, name=user.lower() or "nobody", real_name=user),
            trigger_id=slack.new_trigger_id(user or None),
            container=container,
            action=action,
            state_values=values if where in ("message", "ephemeral") else None,
            channel={"id": "C0GENERAL", "name": "general"} if where != "modal" else None,
            message={"type": "message", "ts": "1700000000.000100", "text": "x", "blocks": []}
            if where == "message"
            else None,
            view=view if where in ("modal", "home") else None,
            response_url=slack.new_response_url(user or "U0NOBODY", "C0GENERAL")
            if with_response_url and where in ("message", "ephemeral")
            else None,
        )
        payload["actions"] = {
            "one": [action],
            "two": [action, {**action, "value": odd}],
            "empty": [],
            "any list": [odd],
            "not a list": odd,
        }[actions_shape]
        for key in dropped:
            payload.pop(key, None)
        for key in replaced:
            payload[key] = odd
        started = time.monotonic()
        response = prop_bot.post_payload(payload)
        shown = (
            f"user={user!r} where={where} action_id={action_id!r} value={value!r} actions={actions_shape}"
            f" odd={odd!r} dropped={dropped} replaced={replaced} response_url={with_response_url}"
        )
        prop_bot.settle(family, response.status, shown, started)

    case()
    finish(
        "block actions (property)",
        family,
        generated_from="payloads.block_actions (message, ephemeral, modal), mutated",
    )
