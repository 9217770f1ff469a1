"""SPEC rules on approval that the other tests do not reach: an approved reduction
releases exactly the agents listed when it was requested, and a sales-assisted
approval sends the order."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from standin.models import Message
from storage.engine import unit_of_work
from storage.models import ChangeRequest, Product, SeatAssignment
from tests.conftest import NOW
from tests.factories import account_data, make_account
from tests.slack.conftest import RunningBot, blocks_text, open_modal, submit


def _holders(engine: Engine, key: str) -> list[str]:
    with Session(engine) as session:
        return sorted(
            session.exec(select(SeatAssignment.user_id).join(Product).where(Product.key == key)).all()
        )


def _request_status(engine: Engine) -> str:
    with Session(engine) as session:
        return session.exec(select(ChangeRequest.status)).one()


def _request_reduction(bot: RunningBot) -> Message:
    """The admin asks to take Support from 10 seats to 1 (2 in use: U0AG2, added last, must go)."""
    view = open_modal(bot, "U0ADMIN", "request support 1")
    token = next(b["block_id"] for b in view["blocks"] if b["block_id"].startswith("confirm_downgrade:"))
    submit(
        bot,
        "U0ADMIN",
        view,
        {token: {"confirm": [token.split(":", 1)[1]]}, "justification": {"text": "team shrinks"}},
    )
    return bot.slack.wait_for(lambda: bot.slack.dm("U0OWNER") or None)[-1]


def test_an_approved_reduction_releases_exactly_the_listed_agents(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    approval = _request_reduction(bot)
    assert "<@U0AG2> would lose their seat" in blocks_text(approval.blocks)
    bot.driver.click("U0OWNER", message=approval, action_id="approve_request")
    bot.slack.wait_for(lambda: _request_status(engine) == "applied" or None)
    assert _holders(engine, "support") == ["U0AG1"]
    told = bot.slack.wait_for(lambda: bot.slack.dm("U0AG2") or None)[-1]
    assert "Your *Support* seat was removed" in blocks_text(told.blocks)
    assert bot.slack.dm("U0AG1") == []


@pytest.mark.parametrize("change", ["someone left", "someone joined"])
def test_an_approved_reduction_whose_agents_changed_stays_pending(
    bot: RunningBot, engine: Engine, change: str
) -> None:
    make_account(engine, now=NOW)
    approval = _request_reduction(bot)
    agents = account_data()["agents"]
    if change == "someone left":  # U0AG2, listed to lose the seat, is gone already
        agents = [a for a in agents if not (a["user"] == "U0AG2" and a["product"] == "support")]
    else:  # a new agent would be the one to go now, not U0AG2
        agents = [*agents, {"user": "U0AG3", "product": "support", "assigned_at": "2026-06-01T09:00:00Z"}]
    with unit_of_work(engine, write=True) as session:  # usage moves behind the request's back
        for seat in session.exec(select(SeatAssignment)).all():
            session.delete(seat)
    make_account(engine, now=NOW, agents=agents)
    before = _holders(engine, "support")
    bot.driver.click("U0OWNER", message=approval, action_id="approve_request")
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0OWNER") or None)[-1]
    assert "stays pending" in blocks_text(told.blocks)
    assert "the agents holding Support seats changed" in blocks_text(told.blocks)
    assert _request_status(engine) == "pending"
    assert _holders(engine, "support") == before


def test_approving_on_a_sales_assisted_plan_sends_the_order(bot: RunningBot, engine: Engine) -> None:
    data = account_data()
    data["account"].update(plan="sales_assisted", sales_contact="U0AG1")
    make_account(engine, now=NOW, account=data["account"])
    view = open_modal(bot, "U0ADMIN", "request guide +3")
    submit(bot, "U0ADMIN", view, {"justification": {"text": "new team"}})
    approval = bot.slack.wait_for(lambda: bot.slack.dm("U0OWNER") or None)[-1]
    bot.driver.click("U0OWNER", message=approval, action_id="approve_request")
    order = bot.slack.wait_for(lambda: bot.slack.dm("U0AG1") or None)[-1]
    assert "Order from Acme Support: change #1, applied by <@U0OWNER>" in blocks_text(order.blocks)
    assert "Guide: 5 → 8 seats (+3)" in blocks_text(order.blocks)
