"""Modal submissions of any shape (state, values, private_metadata, missing parts), signed."""

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
    CALLBACKS,
    METADATA,
    PROPERTY_SETTINGS,
    STATE_VALUES,
    USERS,
    any_json,
)

TOP_LEVEL = ["user", "view", "team", "trigger_id", "response_urls", "api_app_id"]
IN_VIEW = ["state", "id", "hash", "blocks", "callback_id", "private_metadata"]


def _base_views(bot: PropertyBot) -> list[dict[str, Any]]:
    """The change modal as an admin (Send request) and as the owner (Update subscription) see it."""
    views = []
    for user, text in (("U0ADMIN", "request support +1"), ("U0OWNER", "manage")):
        seen = len(bot.slack.open_views(user))
        assert bot.driver.slash_command(user, text).status == 200
        views.append(
            bot.slack.wait_for(
                lambda u=user, n=seen: bot.slack.open_views(u)[n:] and bot.slack.open_views(u)[-1]
            )
        )
        bot.executor.wait_idle()
    return views


def test_any_view_submission_gets_a_calm_answer(prop_bot: PropertyBot) -> None:
    family = Family(prop_bot.backend)
    views = _base_views(prop_bot)

    @PROPERTY_SETTINGS
    @given(
        base=st.sampled_from(range(len(views))),
        user=USERS,
        callback=CALLBACKS,
        values=STATE_VALUES,
        metadata=METADATA,
        state_shape=st.sampled_from(["values", "values", "values", "state any", "values any", "none"]),
        odd=any_json,
        dropped=st.lists(st.sampled_from(TOP_LEVEL), max_size=2, unique=True),
        dropped_in_view=st.lists(st.sampled_from(IN_VIEW), max_size=2, unique=True),
        replaced=st.lists(st.sampled_from(TOP_LEVEL), max_size=1),
    )
    def case(
        base: int,
        user: str,
        callback: str,
        values: Any,
        metadata: Any,
        state_shape: str,
        odd: Any,
        dropped: list[str],
        dropped_in_view: list[str],
        replaced: list[str],
    ) -> None:
        slack = prop_bot.slack
        view = copy.deepcopy(views[base])
        view["callback_id"] = callback
        view["private_metadata"] = metadata
        view["state"] = (
            {"values": {"values": values, "values any": odd, "none": None, "state any": None}[state_shape]}
            if state_shape != "state any"
            else odd
        )
        for key in dropped_in_view:
            view.pop(key, None)
        payload: dict[str, Any] = payloads.view_submission(
            team_id=slack.team_id,
            team_name=slack.team_name,
            api_app_id="A0SEATBOT",
            person=SlackUser(id=user, name=user.lower() or "nobody", real_name=user),
            trigger_id=slack.new_trigger_id(user or None),
            view=view,
            response_urls=[],
        )
        for key in dropped:
            payload.pop(key, None)
        for key in replaced:
            payload[key] = odd
        started = time.monotonic()
        response = prop_bot.post_payload(payload)
        shown = (
            f"user={user!r} callback={callback!r} state={view.get('state')!r} metadata={metadata!r}"
            f" dropped={dropped}+{dropped_in_view} replaced={replaced}"
        )
        prop_bot.settle(family, response.status, shown, started)

    case()
    finish(
        "view submissions (property)",
        family,
        generated_from="payloads.view_submission of the real change modal, mutated",
    )
