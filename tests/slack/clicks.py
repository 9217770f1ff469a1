"""Signed Slack requests a test builds itself: the same click posted again byte for
byte (Slack's retries, with X-Slack-Retry-Num), and clicks or commands no Slack
client would send (forged values, another workspace's team id)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from standin import SlackUser
from standin.models import Message
from standin.payloads import block_actions, slash_command
from standin.transport import HttpResult
from tests.slack.conftest import RunningBot

FORM = "application/x-www-form-urlencoded"


def _person(bot: RunningBot, user_id: str) -> SlackUser:
    person = bot.slack.user(user_id)
    assert person is not None, f"{user_id} is not in the stand-in"
    return person


def click_body(
    bot: RunningBot,
    user_id: str,
    *,
    action_id: str,
    value: str | None = None,
    message: Message | None = None,
    team_id: str | None = None,
) -> bytes:
    """The signed form body of a button click on `message` (or on a message in #general).

    The button's own value is sent unless `value` forges another; `team_id` pretends
    the click comes from another workspace."""
    person = _person(bot, user_id)
    channel = message.channel if message else "C0GENERAL"
    ts = message.ts if message else "1700000000.000100"
    element: dict[str, Any] = {}
    if message is not None:
        element = next(
            (
                e
                for b in message.blocks
                if b["type"] == "actions"
                for e in b["elements"]
                if e["action_id"] == action_id
            ),
            {},
        )
    sent = value if value is not None else element.get("value")
    assert sent is not None, f"no {action_id} button to click"
    team = team_id or bot.slack.team_id
    payload = block_actions(
        team_id=team,
        team_name=bot.slack.team_name,
        api_app_id="A0SEATBOT",
        person=person,
        trigger_id=bot.slack.new_trigger_id(user_id),
        container={
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": bool(message and message.ephemeral_for),
        },
        action={
            "action_id": action_id,
            "block_id": "forged",
            "type": "button",
            "text": {"type": "plain_text", "text": "Click"},
            "value": sent,
            "action_ts": "1700000000.000200",
        },
        channel={"id": channel, "name": "general"},
        response_url=bot.slack.new_response_url(user_id, channel, message_ts=ts),
    )
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def post(bot: RunningBot, body: bytes, *, retry: int | None = None) -> HttpResult:
    """POST a signed body to /slack/events; `retry` adds the headers of Slack's n-th retry."""
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
    response = bot.driver.post_raw(body, content_type=FORM, headers=headers)
    assert response.status == 200, response.text
    return response


def command_body(bot: RunningBot, user_id: str, text: str, *, team_id: str) -> bytes:
    """`/seats text` as sent by a workspace `team_id` (another team's payload)."""
    person = _person(bot, user_id)
    fields = slash_command(
        team_id=team_id,
        team_name="Other",
        api_app_id="A0SEATBOT",
        person=person,
        channel_id="C0GENERAL",
        channel_name="general",
        command="/seats",
        text=text,
        response_url=bot.slack.new_response_url(user_id, "C0GENERAL"),
        trigger_id=bot.slack.new_trigger_id(user_id),
    )
    return urllib.parse.urlencode(fields).encode()


def answers(bot: RunningBot, user_id: str) -> list[str]:
    """Everything `user_id` was told: ephemeral answers and DMs, as text."""
    return [m.text for m in bot.slack.ephemerals(user_id)] + [m.text for m in bot.slack.dm(user_id)]


def wait_answers(bot: RunningBot, user_id: str, count: int, seen: int = 0) -> list[str]:
    """Wait until `user_id` has `count` ephemeral answers after the first `seen`."""
    return bot.slack.wait_for(
        lambda: (
            [m.text for m in bot.slack.ephemerals(user_id)][seen:]
            if len(bot.slack.ephemerals(user_id)) - seen >= count
            else None
        )
    )


def submission_body(
    bot: RunningBot, user_id: str, view: dict[str, Any], values: dict[str, Any], *, team_id: str | None = None
) -> bytes:
    """The signed form body of a modal submitted with `values` (post it again to replay it)."""
    from standin.payloads import view_submission

    payload = view_submission(
        team_id=team_id or bot.slack.team_id,
        team_name=bot.slack.team_name,
        api_app_id="A0SEATBOT",
        person=_person(bot, user_id),
        trigger_id=bot.slack.new_trigger_id(user_id),
        # Another workspace's modal says so everywhere Slack puts a team id.
        view={
            **view,
            "state": {"values": values},
            **({"team_id": team_id, "app_installed_team_id": team_id} if team_id else {}),
        },
        response_urls=[],
    )
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
