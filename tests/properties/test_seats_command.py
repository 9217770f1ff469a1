"""`/seats` with any text, from anyone: always a calm answer, never a crash or a half-write."""

from __future__ import annotations

import time

from hypothesis import given
from hypothesis import strategies as st

from standin import payloads
from standin.models import SlackUser
from tests.properties.conftest import Family, PropertyBot
from tests.properties.report import finish
from tests.properties.strategies import COMMAND_TEXT, PROPERTY_SETTINGS, USERS

DROPPABLE = ["response_url", "trigger_id", "user_name", "channel_id", "team_domain", "text"]


def test_any_command_text_gets_a_calm_answer(prop_bot: PropertyBot) -> None:
    family = Family(prop_bot.backend)

    @PROPERTY_SETTINGS
    @given(
        user=USERS,
        text=COMMAND_TEXT,
        dropped=st.lists(st.sampled_from(DROPPABLE), max_size=2, unique=True),
    )
    def case(user: str, text: str, dropped: list[str]) -> None:
        slack = prop_bot.slack
        fields = payloads.slash_command(
            team_id=slack.team_id,
            team_name=slack.team_name,
            api_app_id="A0SEATBOT",
            person=SlackUser(id=user, name=user.lower() or "nobody", real_name=user),
            channel_id="C0GENERAL",
            channel_name="general",
            command="/seats",
            text=text,
            response_url=slack.new_response_url(user or "U0NOBODY", "C0GENERAL"),
            trigger_id=slack.new_trigger_id(user or None),
        )
        for key in dropped:
            fields.pop(key, None)
        started = time.monotonic()
        response = prop_bot.post_form(fields)
        prop_bot.settle(family, response.status, f"user={user!r} dropped={dropped} text={text!r}", started)

    case()
    finish("/seats text (property)", family, generated_from="payloads.slash_command, mutated")
