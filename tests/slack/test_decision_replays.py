"""Approve, Decline and Withdraw replayed: the same request posted again (Slack's
retries, with X-Slack-Retry-Num), a double click, a click on an old copy. Each
takes effect once; the repeat is told what already happened, by whom and when."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from standin.models import Message
from storage.models import AuditEvent, ChangeRequest, OutboxMessage, Product
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.clicks import click_body, post, submission_body, wait_answers
from tests.slack.conftest import RunningBot, blocks_text, open_modal, submit


@pytest.fixture
def request_sent(bot: RunningBot, engine: Engine) -> Message:
    """Request #1 (Support 10 → 15, by the admin); returns the owner's approval DM."""
    make_account(engine, now=NOW)
    view = open_modal(bot, "U0ADMIN", "request support +5")
    submit(bot, "U0ADMIN", view, {"justification": {"text": "New hires"}})
    return bot.slack.wait_for(
        lambda: next((m for m in bot.slack.dm("U0OWNER") if "asks for a seat change" in m.text), None)
    )


def _request(engine: Engine) -> ChangeRequest:
    with Session(engine) as session:
        return session.exec(select(ChangeRequest)).one()


def _seats(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(Product.seats).where(Product.key == "support")).one()


def _events(engine: Engine, action: str) -> int:
    with Session(engine) as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _wait_status(bot: RunningBot, engine: Engine, status: str) -> None:
    bot.slack.wait_for(lambda: _request(engine).status == status or None)


def test_an_approval_replayed_by_slack_applies_once(
    bot: RunningBot, engine: Engine, request_sent: Message
) -> None:
    body = click_body(bot, "U0OWNER", action_id="approve_request", message=request_sent)
    post(bot, body)
    _wait_status(bot, engine, "applied")
    for retry in (1, 2, 3):
        post(bot, body, retry=retry)
    told = wait_answers(bot, "U0OWNER", 3)
    for answer in told:
        assert answer.startswith("Request #1 was already approved by <@U0OWNER> <!date^")
    assert _seats(engine) == 15
    assert (_events(engine, "request.applied"), _events(engine, "seats.changed")) == (1, 1)


@pytest.mark.parametrize(
    ("first", "then", "told"),
    [
        # Approved, then the other approver declines from their own (old) copy.
        ("approve", ("U0BILL", "decline_request"), "La demande n° 1 a déjà été approuvée par <@U0OWNER>"),
        # Declined, then the owner's double click on Approve arrives.
        ("decline", ("U0OWNER", "approve_request"), "Request #1 was already declined by <@U0OWNER>"),
        # Withdrawn by the admin, then an approver clicks an old copy.
        ("withdraw", ("U0OWNER", "approve_request"), "Request #1 was already withdrawn"),
        ("withdraw", ("U0BILL", "decline_request"), "La demande n° 1 a déjà été retirée"),
    ],
)
def test_a_click_on_an_old_copy_is_told_what_happened(
    bot: RunningBot,
    engine: Engine,
    request_sent: Message,
    first: str,
    then: tuple[str, str],
    told: str,
) -> None:
    billing_dm = bot.slack.wait_for(
        lambda: next((m for m in bot.slack.dm("U0BILL") if "demande une modification" in m.text), None)
    )
    if first == "approve":
        bot.driver.click("U0OWNER", message=request_sent, action_id="approve_request")
        _wait_status(bot, engine, "applied")
    elif first == "decline":
        _decline(bot, request_sent)
        _wait_status(bot, engine, "declined")
    else:
        assert "Request #1 withdrawn" in bot.command("U0ADMIN", "withdraw").text
    before = (_request(engine).status, _request(engine).decided_by, _seats(engine))
    clicker, action = then
    copy = request_sent if clicker == "U0OWNER" else billing_dm
    seen = len(bot.slack.ephemerals(clicker))
    bot.driver.click(clicker, message=copy, action_id=action, stale=True)
    answer = wait_answers(bot, clicker, 1, seen)[0]
    assert told in answer
    assert bot.slack.open_views(clicker) == []  # no decline modal for a closed request
    assert (_request(engine).status, _request(engine).decided_by, _seats(engine)) == before


def _decline(bot: RunningBot, dm: Message) -> None:
    bot.driver.click("U0OWNER", message=dm, action_id="decline_request")
    modal = bot.slack.wait_for(
        lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1]
    )
    submit(bot, "U0OWNER", modal, {})


def test_a_decline_submitted_twice_declines_once(
    bot: RunningBot, engine: Engine, request_sent: Message
) -> None:
    bot.driver.click("U0OWNER", message=request_sent, action_id="decline_request")
    modal = bot.slack.wait_for(
        lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1]
    )
    reason_block = next(b for b in modal["blocks"] if b["type"] == "input")
    action_id = reason_block["element"]["action_id"]
    values = {reason_block["block_id"]: {action_id: {"type": "plain_text_input", "value": "Budget freeze"}}}
    body = submission_body(bot, "U0OWNER", modal, values)
    first = post(bot, body)
    assert first.body in (b"", b"{}")  # closes the modal
    _wait_status(bot, engine, "declined")
    replay = post(bot, body, retry=1)  # Slack retries the submission it thinks timed out
    answer = replay.json()
    assert answer["response_action"] == "update"
    assert "Request #1 was already declined by <@U0OWNER>" in blocks_text(answer["view"]["blocks"])
    request = _request(engine)
    assert (request.status, request.decline_reason) == ("declined", "Budget freeze")
    assert _events(engine, "request.declined") == 1
    with Session(engine) as session:  # the requester is told once
        assert len(session.exec(select(OutboxMessage).where(OutboxMessage.kind == "outcome")).all()) == 1


def test_a_withdraw_clicked_twice_withdraws_once(
    bot: RunningBot, engine: Engine, request_sent: Message
) -> None:
    mine = bot.command("U0ADMIN", "requests")
    body = click_body(bot, "U0ADMIN", action_id="withdraw_request", message=mine)
    seen = len(bot.slack.ephemerals("U0ADMIN"))
    post(bot, body)
    assert "Request #1 withdrawn." in wait_answers(bot, "U0ADMIN", 1, seen)[0]
    post(bot, body, retry=1)  # Slack's retry
    bot.driver.click("U0ADMIN", message=mine, action_id="withdraw_request", stale=True)  # a double click
    for answer in wait_answers(bot, "U0ADMIN", 3, seen)[1:]:
        assert answer.startswith("Request #1 was already withdrawn <!date^")
    assert _request(engine).status == "withdrawn"
    assert _events(engine, "request.withdrawn") == 1
