"""Slack-level fixtures: seatbot served over HTTP exactly as in production,
driven by signed Slack requests, talking to the Slack stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.deps import Deps, utcnow
from bot.runtime.server import SeatbotWSGI, start_in_background
from standin import SlackDriver, SlackStandIn, SlackUser
from standin.models import Message

SIGNING_SECRET = "test-signing-secret"
TEAM = "T0SEATBOT"

PEOPLE = [
    SlackUser(id="U0OWNER", name="olivia", real_name="Olivia Owner", locale="en-US"),
    SlackUser(id="U0BILL", name="bastien", real_name="Bastien Facturation", locale="fr-FR"),
    SlackUser(id="U0ADMIN", name="alex", real_name="Alex Admin", locale="en-GB"),
    SlackUser(id="U0AG1", name="ana", real_name="Ana Agent", locale="de-DE"),
    SlackUser(id="U0AG2", name="bo", real_name="Bo Agent"),
]


@pytest.fixture(scope="session")
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn(team_id=TEAM) as server:
        yield server


@pytest.fixture
def slack(standin: SlackStandIn) -> Iterator[SlackStandIn]:
    """The stand-in, emptied for this test; fails the test if seatbot misused the API."""
    standin.reset()
    for person in PEOPLE:
        standin.add_user(person)
    standin.add_channel("C0GENERAL", "general")
    standin.add_channel("C0ALERTS", "seat-alerts")
    yield standin
    assert standin.api_errors() == []


@dataclass
class RunningBot:
    url: str
    driver: SlackDriver
    slack: SlackStandIn
    deps: Deps

    def command(self, user_id: str, text: str = "") -> Message:
        """Type `/seats text` as `user_id`; return the ephemeral answer once it arrives."""
        seen = len(self.slack.ephemerals(user_id))
        response = self.driver.slash_command(user_id, text)
        assert response.status == 200, response.text
        assert response.body in (b"", b"{}"), "the ack carries no content; the answer follows"
        replies = self.slack.wait_for(lambda: self.slack.ephemerals(user_id)[seen:] or None)
        assert len(replies) == 1
        return replies[0]


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """seatbot's clock; a test module overrides this fixture to fix the time."""
    return utcnow


@pytest.fixture
def bot(
    engine: Engine, slack: SlackStandIn, db_url: str, clock: Callable[[], datetime]
) -> Iterator[RunningBot]:
    settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db_url,
    )
    # Our own pool, so teardown can wait for work still running after the acks.
    executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="listener")
    app = create_app(settings, engine=engine, executor=executor, clock=clock)
    server = start_in_background(SeatbotWSGI(app, engine))
    try:
        driver = SlackDriver(
            bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack
        )
        yield RunningBot(server.url, driver, slack, app._seatbot_deps)  # type: ignore[attr-defined]
    finally:
        server.stop()
        app._seatbot_deps.close()  # type: ignore[attr-defined]


def open_modal(bot: RunningBot, user_id: str, text: str) -> dict[str, Any]:
    """Type `/seats text` and return the modal it opens."""
    seen = len(bot.slack.open_views(user_id))
    response = bot.driver.slash_command(user_id, text)
    assert response.status == 200
    return bot.slack.wait_for(
        lambda: bot.slack.open_views(user_id)[seen:] and bot.slack.open_views(user_id)[-1]
    )


def submit(bot: RunningBot, user_id: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """Press the modal's submit button; return seatbot's answer as the person ends up seeing it.

    A form that passed its checks is answered with a "working" view at once and
    redrawn when its work is done: that final view is returned, as
    `{"response_action": "update", "view": ...}`.
    """
    before = bot.slack.view(view["id"])
    response = bot.driver.submit_view(user_id, view, values)
    assert response.status == 200, response.text
    return settled(bot, view["id"], response.json() if response.body else {}, before)


def settled(
    bot: RunningBot, view_id: str, answer: dict[str, Any], before: dict[str, Any] | None
) -> dict[str, Any]:
    """The answer to a submission, once the "working" view it may show is redrawn."""
    from bot.messages.change_modal import WORKING_CALLBACK

    shown = answer.get("view") or {}
    if answer.get("response_action") != "update" or shown.get("callback_id") != WORKING_CALLBACK:
        return answer
    old_hash = (before or {}).get("hash")

    def redrawn() -> dict[str, Any] | None:
        current = bot.slack.view(view_id)
        if (
            current is None
            or current.get("callback_id") == WORKING_CALLBACK
            or current.get("hash") == old_hash
        ):
            return None
        return current

    return {"response_action": "update", "view": bot.slack.wait_for(redrawn)}


def seats(product: str, value: str) -> dict[str, Any]:
    return {f"seats:{product}": {"seats": value}}


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    import json

    return json.dumps(blocks, ensure_ascii=False)


def forged_submission(
    bot: RunningBot,
    user_id: str,
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    *,
    private_metadata: str | None = None,
) -> dict[str, Any]:
    """A correctly signed view_submission whose state (or metadata) no Slack client would send."""
    import json
    import urllib.parse

    from standin.payloads import view_submission

    person = bot.slack.user(user_id)
    assert person is not None
    forged = {**view, "state": {"values": values}}
    if private_metadata is not None:
        forged["private_metadata"] = private_metadata
    payload = view_submission(
        team_id=bot.slack.team_id,
        team_name=bot.slack.team_name,
        api_app_id="A0SEATBOT",
        person=person,
        trigger_id=bot.slack.new_trigger_id(user_id),
        view=forged,
        response_urls=[],
    )
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    before = bot.slack.view(view["id"])
    response = bot.driver.post_raw(body, content_type="application/x-www-form-urlencoded")
    assert response.status == 200, response.text
    return settled(bot, view["id"], response.json() if response.body else {}, before)
