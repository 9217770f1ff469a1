"""The running scheduler and sender loops: work happens within seconds of being due,
whatever the policy, with no fixed tick."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.runtime.jobs import Jobs
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot, blocks_text, open_modal, submit


class Clock:
    """seatbot's clock, moved by the test; the loops read it once per pass."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def moving_clock() -> Clock:
    return Clock()


@pytest.fixture
def clock(moving_clock: Clock) -> Callable[[], datetime]:
    return moving_clock


def _reminders(bot: RunningBot, user_id: str) -> list[object]:
    return [m for m in bot.slack.dm(user_id) if ":alarm_clock:" in blocks_text(m.blocks)]


def test_the_loops_remind_and_escalate_seconds_after_due(
    bot: RunningBot, engine: Engine, moving_clock: Clock
) -> None:
    make_account(
        engine,
        now=NOW,
        policy={"nudge_after": "3s", "nudge_every": "3s", "max_nudges": 1, "expire_after": "30s"},
    )
    jobs = Jobs(bot.deps).start()  # what `seatbot serve` starts beside the app
    try:
        view = open_modal(bot, "U0ADMIN", "request support +2")
        submit(bot, "U0ADMIN", view, {"justification": {"text": "busy season"}})
        bot.slack.wait_for(lambda: len(bot.slack.dm("U0OWNER")) == 1 or None)
        assert _reminders(bot, "U0OWNER") == []
        moving_clock.now = NOW + timedelta(seconds=3)
        # The loops sleep at most a few seconds between passes: no 60-second tick.
        bot.slack.wait_for(lambda: _reminders(bot, "U0OWNER") or None, timeout=15)
        bot.slack.wait_for(lambda: _reminders(bot, "U0BILL") or None, timeout=15)
        moving_clock.now = NOW + timedelta(seconds=6)
        escalated = bot.slack.wait_for(
            lambda: [m for m in bot.slack.messages("C0ALERTS") if m.ephemeral_for is None] or None, timeout=15
        )
        assert len(escalated) == 1
    finally:
        jobs.shutdown(wait=True)
