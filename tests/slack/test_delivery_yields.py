"""Messages to others wait while people wait for their own answers, for a bounded time:
the interpreter is shared, and a burst of submissions should get its confirmations first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import Engine

from bot.delivery import sender as sending
from bot.delivery.sender import Sender
from bot.services.seat_changes import Submission, submit
from bot.slack.client import make_web_client
from standin import SlackStandIn
from storage.engine import unit_of_work
from tests.conftest import NOW
from tests.factories import TEAM, make_account
from tests.slack.conftest import RunningBot


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


@pytest.fixture
def stored_request(engine: Engine) -> None:
    """A request whose approval messages (owner and billing admin) are due."""
    make_account(engine, now=NOW)
    with unit_of_work(engine, write=True) as session:
        submit(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts={"support": "12"}, justification="x"),
            now=NOW,
        )


def _approval_dms(slack: SlackStandIn) -> list[object]:
    return [m for user in ("U0OWNER", "U0BILL") for m in slack.dm(user)]


def test_approval_messages_wait_for_a_request_being_worked_on(
    bot: RunningBot, stored_request: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "YIELD_AT_MOST", 60.0)  # only the job's end lets them go
    work = bot.deps.work
    yielding = threading.Event()
    waited = work.wait_until_idle

    def spied(timeout: float) -> bool:
        yielding.set()
        return waited(timeout)

    monkeypatch.setattr(bot.deps.sender, "_yield_to", spied)  # the queue's own, watched
    finish = threading.Event()
    slot = work.reserve()
    assert slot is not None
    slot.run(lambda: finish.wait(30), name="someone's submission")
    try:
        bot.deps.deliver()
        assert yielding.wait(10), "the sender asked the queue to be idle first"
        assert _approval_dms(bot.slack) == []  # held back while a person waits
    finally:
        finish.set()
    bot.slack.wait_for(lambda: len(_approval_dms(bot.slack)) == 2 or None)


def test_a_pass_holds_its_messages_back_for_a_bounded_time_in_all(
    slack: SlackStandIn, engine: Engine, stored_request: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "YIELD_AT_MOST", 0.2)
    asked: list[float] = []

    def never_idle(timeout: float) -> bool:  # people keep arriving
        asked.append(timeout)
        time.sleep(timeout)
        return False

    client = make_web_client(token=slack.bot_token, base_url=slack.api_url)
    sender = Sender(engine=engine, client=client, yield_to=never_idle)
    assert sender.deliver_due(now=NOW) == 2
    assert len(_approval_dms(slack)) == 2
    assert len(asked) == 1, "one wait for the whole pass, not one per message"
    assert 0 < asked[0] <= 0.2
