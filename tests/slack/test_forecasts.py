"""Run-out forecasts as people read them: the summary, the change form and the early warning."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import NOW
from tests.factories import BASE, make_account
from tests.slack.conftest import RunningBot

BORN = NOW - timedelta(days=90)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


def _filling(engine: Engine, *, born: datetime = BORN, seats: int = 38, threshold: int | None = None) -> None:
    """Support took a seat a day for the last four weeks: 28 of `seats` in use."""
    agents = [
        {
            "user": f"U0F{i:04d}",
            "product": "support",
            "assigned_at": (NOW - timedelta(days=27.5 - i)).isoformat(),
        }
        for i in range(28)
    ]
    products = [dict(p) for p in BASE["products"]]
    products[0]["seats"] = seats
    policy = {"alert_threshold": threshold} if threshold else {}
    make_account(engine, now=born, products=products, agents=agents, policy=policy)


def _text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_the_summary_says_when_a_filling_product_runs_out(bot: RunningBot, engine: Engine) -> None:
    _filling(engine)
    shown = _text(bot.command("U0OWNER").blocks)
    # 10 free at a seat a day.
    assert re.search(r"At this pace Support is full in about (9|10|11) days", shown), shown
    assert "At this pace Guide" not in shown  # nothing moved there: nothing to say


def test_in_french_too(bot: RunningBot, engine: Engine) -> None:
    _filling(engine)
    shown = _text(bot.command("U0BILL").blocks)
    assert re.search(r"À ce rythme, Support sera plein dans (9|10|11) jours environ", shown), shown


def test_a_slower_pace_is_said_in_weeks(bot: RunningBot, engine: Engine) -> None:
    _filling(engine, seats=70)  # 42 free at a seat a day: about six weeks
    shown = _text(bot.command("U0OWNER").blocks)
    assert re.search(r"At this pace Support is full in about (5|6) weeks", shown), shown


def test_a_young_account_is_told_nothing_it_cannot_know(bot: RunningBot, engine: Engine) -> None:
    _filling(engine, born=NOW - timedelta(days=5))
    assert "At this pace" not in _text(bot.command("U0OWNER").blocks)


def test_the_change_form_shows_it_under_the_product(bot: RunningBot, engine: Engine) -> None:
    _filling(engine)
    assert bot.driver.slash_command("U0ADMIN", "request support +2").status == 200
    form = bot.slack.wait_for(lambda: bot.slack.open_views("U0ADMIN") or None)[-1]
    support = next(b for b in form["blocks"] if b.get("block_id", "").endswith("support"))
    assert re.search(r"At this pace Support is full in about (9|10|11) days", support["hint"]["text"])


def test_the_early_warning_carries_it(bot: RunningBot, engine: Engine) -> None:
    _filling(engine, seats=33, threshold=80)  # 28 of 33 in use (84 %), then one more: 4 free
    bot.command("U0OWNER", "assign <@U0AG1|ana> support")
    posted = bot.slack.wait_for(lambda: bot.slack.messages("C0ALERTS") or None)
    assert re.search(r"At this pace Support is full in about [1-4] days?", _text(posted[-1].blocks))


def test_the_history_is_read_once_then_again_after_a_change_of_seats(bot: RunningBot, engine: Engine) -> None:
    from sqlalchemy import event

    _filling(engine)
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if ("audit_event" in statement and "seat.unassigned" in str(args)) or "FROM audit_event" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        bot.command("U0OWNER")
        first = len(seen)
        assert first >= 1
        bot.command("U0OWNER")
        assert len(seen) == first, "the seat history is reused for a few minutes"
        bot.command("U0OWNER", "assign <@U0AG1|ana> guide")
        shown = json.dumps(bot.command("U0OWNER").blocks)
        assert len(seen) > first, "a change of seats makes it read again"
        assert "At this pace Support" in shown
    finally:
        event.remove(engine, "before_cursor_execute", count)
