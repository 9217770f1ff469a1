"""Amending a pending request through Slack: the form, the approvers' copies, stale decisions."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from standin.models import Message
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.clicks import click_body, post
from tests.slack.conftest import RunningBot, blocks_text, forged_submission, open_modal, submit

SLOW = 20.0
"""Seconds to wait for what follows a click (the machine may be busy)."""


@pytest.fixture(autouse=True)
def pending(engine: Engine, bot: RunningBot) -> None:
    make_account(engine, now=NOW)
    form = open_modal(bot, "U0ADMIN", "request support +2")
    submit(bot, "U0ADMIN", form, {"justification": {"text": "two hires"}})


def _card(bot: RunningBot, user_id: str = "U0OWNER") -> Message:
    return bot.slack.wait_for(lambda: next(iter(bot.slack.dm(user_id)), None), timeout=SLOW)


def _rewritten(bot: RunningBot, copy: Message, showing: str) -> Message:
    """The approval copy once it has been rewritten in place to show `showing`."""
    return bot.slack.wait_for(
        lambda: (m := bot.slack.message(copy.channel, copy.ts)) and showing in blocks_text(m.blocks) and m,
        timeout=SLOW,
    )


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def _approve_value(card: Message) -> str:
    return next(
        e["value"]
        for b in card.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "approve_request"
    )


def _amend_form(bot: RunningBot) -> dict[str, Any]:
    """`/seats request` again: the form that opens amends the pending request (a new root view)."""
    assert bot.driver.slash_command("U0ADMIN", "request").status == 200
    return bot.slack.wait_for(
        lambda: next(
            (v for v in bot.slack.open_views("U0ADMIN") if v["title"]["text"] == "Amend request"), None
        ),
        timeout=SLOW,
    )


def _amend(bot: RunningBot, support: str, why: str = "three hires") -> dict[str, Any]:
    form = _amend_form(bot)
    return submit(bot, "U0ADMIN", form, {"seats:support": {"seats": support}, "justification": {"text": why}})


def test_the_approvers_copies_are_rewritten_in_place(bot: RunningBot, engine: Engine) -> None:
    before = _card(bot)
    assert _approve_value(before) == "1:1"
    answer = _amend(bot, "13")
    assert "Request #1 is amended" in blocks_text(answer["view"]["blocks"])
    assert _rows(engine, "SELECT version, justification FROM change_request") == [(2, "three hires")]
    rewritten = _rewritten(bot, before, "Amended by")
    shown = blocks_text(rewritten.blocks)
    assert "Support: 10 → 13 seats" in shown
    assert "three hires" in shown
    assert _approve_value(rewritten) == "1:2"
    assert len(bot.slack.dm("U0OWNER")) == 1, "rewritten in place, not a second message"
    assert "Modifiée par" in blocks_text(
        bot.slack.wait_for(
            lambda: (m := bot.slack.dm("U0BILL")[0]) and "Modifiée" in blocks_text(m.blocks) and m,
            timeout=SLOW,
        ).blocks
    )


def test_a_decision_on_the_old_version_is_refused_and_the_new_one_taken(
    bot: RunningBot, engine: Engine
) -> None:
    old = _card(bot)
    _amend(bot, "13")
    post(bot, click_body(bot, "U0OWNER", action_id="approve_request", value="1:1"))
    told = bot.slack.wait_for(
        lambda: next(
            (m for m in bot.slack.ephemerals("U0OWNER") + bot.slack.dm("U0OWNER") if "was amended" in m.text),
            None,
        ),
        timeout=SLOW,
    )
    assert "nothing was decided" in told.text
    assert _rows(engine, "SELECT status FROM change_request") == [("pending",)]
    assert _rows(engine, "SELECT seats FROM product WHERE key = 'support'") == [(10,)]
    post(bot, click_body(bot, "U0OWNER", action_id="approve_request", value="1:2", message=old))
    bot.slack.wait_for(
        lambda: _rows(engine, "SELECT status FROM change_request") == [("applied",)] or None, timeout=SLOW
    )
    assert _rows(engine, "SELECT seats FROM product WHERE key = 'support'") == [(13,)]


def test_the_same_words_change_nothing(bot: RunningBot, engine: Engine) -> None:
    answer = _amend(bot, "12", why="two hires")
    assert "already says exactly this" in blocks_text(answer["view"]["blocks"])
    assert _rows(engine, "SELECT version FROM change_request") == [(1,)]


def test_bad_counts_are_shown_next_to_the_field_and_change_nothing(bot: RunningBot, engine: Engine) -> None:
    form = _amend_form(bot)
    answer = forged_submission(
        bot,
        "U0ADMIN",
        form,
        {
            "seats:support": {"seats": {"type": "number_input", "value": "-3"}},
            "justification": {"value": {"type": "plain_text_input", "value": "x"}},
        },
    )
    assert answer["response_action"] == "errors"
    assert "seats:support" in answer["errors"]
    assert _rows(engine, "SELECT version FROM change_request") == [(1,)]


def test_the_pending_request_offers_amend_where_it_is_shown(bot: RunningBot) -> None:
    listed = bot.command("U0ADMIN", "requests")
    assert "amend_request" in blocks_text(listed.blocks)


def test_a_second_amendment_rewrites_the_copies_again(bot: RunningBot, engine: Engine) -> None:
    before = _card(bot)
    _amend(bot, "13")
    _rewritten(bot, before, "three hires")
    _amend(bot, "14", why="four hires")
    rewritten = _rewritten(bot, before, "four hires")
    assert "Support: 10 → 14 seats" in blocks_text(rewritten.blocks)
    assert _approve_value(rewritten) == "1:3"
