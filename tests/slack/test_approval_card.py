"""The approval card weighs a request for the approver: seats in use before and after, the
cost signed and totalled, who would lose a seat, the suite that moves with it, how full the
products are now, and the whole justification one click away; the App Home queue alike."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.messages.i18n import unescape_mrkdwn
from standin.models import Message
from storage.models import Product, SeatAssignment
from tests.conftest import NOW
from tests.factories import account_data, make_account
from tests.slack.conftest import RunningBot, blocks_text, open_modal, seats, submit

# The factory's account: Support 10 seats at €115 (Ana and Bo hold one, Bo since later),
# Guide 5 at €49, Talk 2 (both in use) with no price: €1,395.00 a month.


def _request(bot: RunningBot, text: str, why: str = "New hires", **typed: str) -> None:
    """The admin opens the form with `/seats text`, types `typed` counts and sends it."""
    view = open_modal(bot, "U0ADMIN", text)
    values: dict[str, Any] = {"justification": {"text": why}}
    for product, count in typed.items():
        values |= seats(product, count)
    confirm = next(
        (b["block_id"] for b in view["blocks"] if b["block_id"].startswith("confirm_downgrade:")), None
    )
    if confirm:
        values[confirm] = {"confirm": [confirm.split(":", 1)[1]]}
    assert submit(bot, "U0ADMIN", view, values)["response_action"] == "update"


def _card(bot: RunningBot, user_id: str) -> Message:
    return bot.slack.wait_for(lambda: next(iter(bot.slack.dm(user_id)), None))


def _sections(message: Message) -> list[str]:
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section"]


def test_an_increase_shows_seats_in_use_and_the_cost_signed_and_totalled(
    bot: RunningBot, engine: Engine
) -> None:
    make_account(engine, now=NOW)
    _request(bot, "request support 16")
    lines = _sections(_card(bot, "U0OWNER"))[1]
    assert lines == "Support: 10 → 16 seats (+6, 2 in use)\n+€690.00/month · total €1,395.00 → €2,085.00"
    french = _sections(_card(bot, "U0BILL"))[1]
    assert french == (
        "Support: 10 → 16 sièges (+6, 2 utilisés)\n"
        "+690,00\u00a0€/mois · total 1\u202f395,00\u00a0€ → 2\u202f085,00\u00a0€"
    )


def test_a_reduction_names_exactly_who_the_ledger_will_unassign(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    _request(bot, "request support 1")
    card = _card(bot, "U0OWNER")
    sections = _sections(card)
    assert sections[1] == (
        "Support: 10 → 1 seat (-9, 2 → 1 in use)\n−€1,035.00/month · total €1,395.00 → €360.00"
    )
    assert sections[2] == ":warning: Support: <@U0AG2> would lose their seat (most recently added first)."
    french = _sections(_card(bot, "U0BILL"))
    assert french[1].startswith("Support: 10 → 1 siège (-9, 2 → 1 utilisé)\n−1\u202f035,00\u00a0€/mois")
    assert french[2] == (":warning: Support : <@U0AG2> perdrait son siège (les derniers ajoutés d'abord).")

    # Approved: the agent the card named, and only them, loses the seat.
    bot.driver.click("U0OWNER", message=card, action_id="approve_request")
    bot.slack.wait_for(lambda: bot.slack.dm("U0AG2") or None)
    with Session(engine) as session:
        holders = session.exec(
            select(SeatAssignment.user_id).join(Product).where(Product.key == "support")
        ).all()
    assert holders == ["U0AG1"]


def test_a_suite_shows_the_products_that_move_with_it(bot: RunningBot, engine: Engine) -> None:
    data = account_data()
    for product in data["products"][:2]:
        product.update(seats=10, suite="Support Suite")
    make_account(engine, now=NOW, products=data["products"])
    _request(bot, "request support 12", guide="12")  # the suite keeps one count
    text = _sections(_card(bot, "U0OWNER"))[1]
    assert "Support: 10 → 12 seats (+2, 2 in use)\nGuide: 10 → 12 seats (+2, 0 in use)" in text
    assert ":link: Support Suite: Support and Guide move together (one seat count)." in text
    assert ":link: Support Suite : Support et Guide changent ensemble" in _sections(_card(bot, "U0BILL"))[1]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [
        (None, ":rotating_light: Talk is full now: 2 of 2 in use."),
        (20, ":warning: Support is almost full now: 2 of 10 in use (20%)."),  # the early warning
    ],
)
def test_the_card_says_when_a_product_is_at_or_near_its_limit_now(
    bot: RunningBot, engine: Engine, threshold: int | None, expected: str
) -> None:
    data = account_data()
    data["policy"] = {"alert_threshold": threshold} if threshold else {}
    make_account(engine, now=NOW, policy=data["policy"])
    _request(bot, "request talk 3" if threshold is None else "request support 11")
    assert expected in _sections(_card(bot, "U0OWNER"))


def test_a_long_justification_is_cut_on_the_card_and_opens_in_full(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    why = " ".join(f"Reason {i} & <more>." for i in range(120))  # about 2,500 characters
    _request(bot, "request support 12", why=why)
    card = _card(bot, "U0OWNER")
    section = next(b for b in card.blocks if b["type"] == "section" and "*Why:*" in b["text"]["text"])
    assert len(section["text"]["text"]) <= 600
    assert section["text"]["text"].endswith("…")
    assert section["accessory"]["text"]["text"] == "Read in full"
    bot.driver.click("U0OWNER", message=card, action_id="read_request")
    full = bot.slack.wait_for(lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1])
    texts = [b["text"]["text"] for b in full["blocks"] if b["type"] == "section"]
    start = next(i for i, t in enumerate(texts) if t.startswith("*Why:*"))
    assert unescape_mrkdwn("\n".join(texts[start:]).removeprefix("*Why:*\n")).replace("\n", " ") == why


def test_the_app_home_queue_weighs_the_request_like_the_card(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    _request(bot, "request support 1", why="Team shrinks")
    bot.driver.app_home_opened("U0OWNER")
    home = bot.slack.wait_for(lambda: bot.slack.home("U0OWNER"))
    item = next(b for b in home["blocks"] if b["type"] == "section" and "*#1*" in b["text"]["text"])
    assert item["text"]["text"] == (
        "*#1* · from <@U0ADMIN>\n"
        "Support: 10 → 1 seat (-9, 2 → 1 in use)\n"
        "−€1,035.00/month · total €1,395.00 → €360.00\n"
        ":warning: Support: <@U0AG2> would lose their seat (most recently added first).\n"
        "*Why:* Team shrinks"
    )
    assert any(b.get("block_id") == "decide:1" for b in home["blocks"])
    assert "Support: 10 → 1" in blocks_text(home["blocks"])


def test_a_decided_card_keeps_the_change_without_todays_figures(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    _request(bot, "request support 16")
    bot.driver.click("U0OWNER", message=_card(bot, "U0OWNER"), action_id="approve_request")
    updated = bot.slack.wait_for(lambda: next((m for m in bot.slack.dm("U0OWNER") if m.edits), None))
    assert _sections(updated)[1] == "Support: 10 → 16 seats (+6)\n+€690.00/month"
