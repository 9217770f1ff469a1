"""Reminders, escalation and expiry as the people involved see them in Slack."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.runtime.jobs import run_nudge_job
from storage.models import ChangeRequest, OutboxMessage
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot, blocks_text, open_modal, submit

HOUR = timedelta(hours=1)


def _send_request(bot: RunningBot) -> None:
    view = open_modal(bot, "U0ADMIN", "request support +2")
    submit(bot, "U0ADMIN", view, {"justification": {"text": "busy season"}})
    bot.slack.wait_for(lambda: {len(bot.slack.dm(a)) for a in ("U0OWNER", "U0BILL")} == {1} or None)

    def delivered() -> bool | None:
        with Session(bot.deps.engine) as session:
            rows = session.exec(select(OutboxMessage.status)).all()
        return all(status == "sent" for status in rows) or None

    # The DMs are on screen, but the sender may not have recorded them yet. Jumping the
    # clock 25 hours ahead now would make its lease look expired to the job.
    bot.slack.wait_for(delivered)


def _job_at(bot: RunningBot, at: timedelta) -> None:
    """The scheduler's nudge job, run once with the clock at NOW + at (the request is sent at NOW)."""
    run_nudge_job(dataclasses.replace(bot.deps, clock=lambda: NOW + at))


def _buttons(message: object) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]  # type: ignore[attr-defined]


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """seatbot's clock stands at NOW (Monday 10:00 UTC): requests are sent then."""
    return lambda: NOW


def test_a_reminder_goes_to_every_approver_and_every_copy_shows_the_decision(
    bot: RunningBot, engine: Engine
) -> None:
    make_account(engine, now=NOW)
    _send_request(bot)
    _job_at(bot, 25 * HOUR)  # Tuesday 11:00 UTC: working hours in Paris
    reminder = bot.slack.wait_for(lambda: len(bot.slack.dm("U0OWNER")) == 2 and bot.slack.dm("U0OWNER")[-1])
    assert "Reminder: this request has been waiting for your decision" in blocks_text(reminder.blocks)
    assert _buttons(reminder) == ["approve_request", "decline_request"]
    bot.slack.wait_for(lambda: len(bot.slack.dm("U0BILL")) == 2 or None)
    bot.driver.click("U0OWNER", message=reminder, action_id="approve_request")
    for approver in ("U0OWNER", "U0BILL"):  # the first DM and the reminder, for both approvers
        bot.slack.wait_for(
            lambda a=approver: (
                all(
                    not _buttons(m)
                    for m in bot.slack.dm(a)
                    if "seat change" in m.text or "modification" in m.text
                )
                or None
            )
        )


def test_nudges_wait_for_the_approvers_working_hours(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    _send_request(bot)
    _job_at(bot, 124 * HOUR)  # Saturday 14:00 UTC
    with Session(engine) as session:
        nudges = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).all()
    assert len(nudges) == 2
    assert all(n.status == "pending" for n in nudges)
    # Monday 09:00 in Paris (the stand-in's people live there) is 08:00 UTC.
    assert {n.next_attempt_at for n in nudges} == {NOW + timedelta(days=7) - 2 * HOUR}
    assert len(bot.slack.dm("U0OWNER")) == 1


def test_escalation_to_the_channel_names_the_approvers(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW, policy={"nudge_after": "1h", "nudge_every": "1h", "max_nudges": 0})
    _send_request(bot)
    _job_at(bot, 2 * HOUR)
    posted = bot.slack.wait_for(
        lambda: [m for m in bot.slack.messages("C0ALERTS") if m.ephemeral_for is None] or None
    )[0]
    text = blocks_text(posted.blocks)
    assert "Request #1 from <@U0ADMIN> has waited since" in text
    assert "<@U0OWNER> and <@U0BILL>, please decide" in text
    bot.driver.click("U0BILL", message=posted, action_id="decline_request")
    modal = bot.slack.wait_for(lambda: bot.slack.open_views("U0BILL") and bot.slack.open_views("U0BILL")[-1])
    submit(bot, "U0BILL", modal, {})
    bot.slack.wait_for(lambda: not _buttons(bot.slack.message("C0ALERTS", posted.ts)) or None)


def test_an_unanswered_request_expires_and_the_requester_is_told(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW, policy={"expire_after": "1d", "max_nudges": 0})
    _send_request(bot)
    _job_at(bot, 25 * HOUR)
    told = bot.slack.wait_for(lambda: next((m for m in bot.slack.dm("U0ADMIN") if "expired" in m.text), None))
    assert "expired without a decision" in blocks_text(told.blocks)
    with Session(engine) as session:
        assert session.exec(select(ChangeRequest.status)).one() == "expired"
    copy = bot.slack.wait_for(lambda: next((m for m in bot.slack.dm("U0OWNER") if m.edits), None))
    assert "Expired" in blocks_text(copy.blocks)
    assert _buttons(copy) == []


SECOND = timedelta(seconds=1)


def _due(engine: Engine) -> datetime | None:
    with Session(engine) as session:
        return session.exec(select(ChangeRequest.next_due_at)).one()


def _reminders(bot: RunningBot, user_id: str) -> list[object]:
    return [m for m in bot.slack.dm(user_id) if ":alarm_clock:" in blocks_text(m.blocks)]


def test_a_short_policy_reminds_twice_escalates_once_then_expires(bot: RunningBot, engine: Engine) -> None:
    make_account(
        engine,
        now=NOW,
        policy={"nudge_after": "3s", "nudge_every": "3s", "max_nudges": 2, "expire_after": "30s"},
    )
    _send_request(bot)
    assert _due(engine) == NOW + 3 * SECOND
    _job_at(bot, 3 * SECOND)
    assert len(_reminders(bot, "U0OWNER")) == 1
    assert len(_reminders(bot, "U0BILL")) == 1
    assert _due(engine) == NOW + 6 * SECOND
    _job_at(bot, 6 * SECOND)
    assert len(_reminders(bot, "U0OWNER")) == 2
    assert len(_reminders(bot, "U0BILL")) == 2
    assert _due(engine) == NOW + 9 * SECOND
    _job_at(bot, 9 * SECOND)
    escalations = [m for m in bot.slack.messages("C0ALERTS") if m.ephemeral_for is None]
    assert len(escalations) == 1
    assert "please decide" in blocks_text(escalations[0].blocks)
    assert _due(engine) == NOW + 30 * SECOND
    _job_at(bot, 29 * SECOND)
    assert len(_reminders(bot, "U0OWNER")) == 2  # nothing more until the expiry
    _job_at(bot, 30 * SECOND)
    with Session(engine) as session:
        assert session.exec(select(ChangeRequest.status)).one() == "expired"
    assert _due(engine) is None
    assert any("expired without a decision" in blocks_text(m.blocks) for m in bot.slack.dm("U0ADMIN"))
    # Nothing more was posted: the approval and two reminders, now all showing the expiry.
    assert len(bot.slack.dm("U0OWNER")) == 3
    assert len([m for m in bot.slack.messages("C0ALERTS") if m.ephemeral_for is None]) == 1


def test_a_reminder_held_for_working_hours_is_never_sent_once_decided(
    bot: RunningBot, engine: Engine
) -> None:
    make_account(engine, now=NOW)
    _send_request(bot)
    _job_at(bot, 124 * HOUR)  # Saturday: the reminders wait for Monday morning
    approval = bot.slack.dm("U0OWNER")[0]
    bot.driver.click("U0OWNER", message=approval, action_id="approve_request")
    bot.slack.wait_for(lambda: not _buttons(bot.slack.message(approval.channel, approval.ts)) or None)
    with Session(engine) as session:
        nudges = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).all()
    assert {n.status for n in nudges} == {"cancelled"}
    bot.deps.sender.deliver_due(now=NOW + timedelta(days=7))  # Monday 09:00 in Paris
    assert _reminders(bot, "U0OWNER") == []
    assert _reminders(bot, "U0BILL") == []
