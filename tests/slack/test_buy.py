"""The one-click "Buy N more seats": at most one purchase per offer, whatever Slack
replays; replays told what happened; stale and forged offers buy nothing; suites
move together."""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from standin import SlackUser
from standin.models import Message
from storage.models import AuditEvent, ChangeRequest, PendingAssignment, Product, SeatAssignment
from tests.conftest import NOW, PG_URL
from tests.factories import make_account
from tests.slack.clicks import click_body, post, wait_answers
from tests.slack.conftest import RunningBot, blocks_text

MORE_PEOPLE = [
    SlackUser(id="U0AG3", name="chloe", real_name="Chloé Agent", locale="fr-FR"),
    SlackUser(id="U0AG4", name="dan", real_name="Dan Agent"),
]

SUITE = [
    {"key": "support", "name": "Support", "edition": "Professional", "seats": 10, "price_per_seat": 115},
    {"key": "guide", "name": "Guide", "edition": "Team", "seats": 1, "suite": "Support Suite"},
    {"key": "chat", "name": "Chat", "edition": "Team", "seats": 1, "suite": "Support Suite"},
    {"key": "talk", "name": "Talk", "edition": "Team", "seats": 2},
]
SUITE_AGENTS = [
    {"user": "U0AG1", "product": "guide"},
    {"user": "U0AG2", "product": "chat"},
    {"user": "U0AG1", "product": "talk"},
    {"user": "U0AG2", "product": "talk"},
]


@pytest.fixture
def account(bot: RunningBot, engine: Engine) -> None:
    """Talk: 2 seats, both in use (full); Guide and Chat: one suite, 1 seat each, both in use."""
    for person in MORE_PEOPLE:
        bot.slack.add_user(person)
    make_account(engine, now=NOW, products=SUITE, agents=SUITE_AGENTS)


def _seats(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {p.key: p.seats for p in session.exec(select(Product))}


def _holders(engine: Engine, key: str) -> list[str]:
    with Session(engine) as session:
        query = select(SeatAssignment.user_id).join(Product).where(Product.key == key)
        return sorted(session.exec(query).all())


def _changes(engine: Engine) -> list[ChangeRequest]:
    with Session(engine) as session:
        return list(session.exec(select(ChangeRequest).order_by(col(ChangeRequest.id))))


def _audits(engine: Engine, action: str) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))


def _offer(bot: RunningBot, user_id: str, text: str) -> Message:
    """`/seats assign …` on a full product: the answer carrying the Buy button."""
    reply = bot.command(user_id, text)
    assert "buy_seats" in blocks_text(reply.blocks), reply.text
    return reply


def _alert(bot: RunningBot, product: str) -> Message:
    return bot.slack.wait_for(
        lambda: next(
            (
                m
                for m in bot.slack.messages("C0ALERTS")
                if m.ephemeral_for is None and product in m.text and "buy_seats" in blocks_text(m.blocks)
            ),
            None,
        )
    )


def test_the_same_click_replayed_five_times_buys_once(
    bot: RunningBot, engine: Engine, account: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.services.buying")
    offer = _offer(bot, "U0OWNER", "assign <@U0AG3|chloe> talk")
    seen = len(bot.slack.ephemerals("U0OWNER"))
    body = click_body(bot, "U0OWNER", action_id="buy_seats", message=offer)
    post(bot, body)  # the click, then Slack's retries of the very same request
    first = wait_answers(bot, "U0OWNER", 1, seen)[0]
    for retry in range(1, 5):
        post(bot, body, retry=retry)
    told = wait_answers(bot, "U0OWNER", 5, seen)
    assert first == ":white_check_mark: Done: Talk: 2 → 3 (+1)."
    assert _seats(engine)["talk"] == 3
    assert _holders(engine, "talk") == ["U0AG1", "U0AG2", "U0AG3"]
    for answer in told[1:]:
        assert ":information_source: *Talk* already went from 2 to 3 seats, bought by <@U0OWNER>" in answer
        assert "<!date^" in answer  # when, in the reader's time zone
        assert "nothing more was bought" in answer
    changes = _changes(engine)
    assert [(c.direct, c.status, c.idempotency_key) for c in changes] == [
        (True, "applied", f"buy:talk:2:w{_waiting_id(engine, 'U0AG3')}")
    ]
    assert len(_audits(engine, "seats.changed")) == 1
    bought = [r.getMessage() for r in caplog.records if r.getMessage().startswith("seats bought")]
    assert bought == [
        f"seats bought team=T0SEATBOT user=U0OWNER products=Talk seats=2->3 request={changes[0].id}"
    ]


def _waiting_id(engine: Engine, user_id: str) -> int:
    with Session(engine) as session:
        entry = session.exec(select(PendingAssignment).where(PendingAssignment.user_id == user_id)).one()
        assert entry.id is not None
        return entry.id


def test_two_approvers_clicking_the_alerts_offer_buy_once(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    bot.command(
        "U0ADMIN", "assign <@U0AG3|chloe> talk"
    )  # an admin: gets a request button, the channel an offer
    alert = _alert(bot, "Talk")
    buy = next(e for b in alert.blocks if b["type"] == "actions" for e in b["elements"])
    assert buy["text"]["text"] == "Buy 1 more seat"
    bot.driver.click("U0OWNER", message=alert, action_id="buy_seats")
    wait_answers(bot, "U0OWNER", 1)
    bot.driver.click("U0BILL", message=alert, action_id="buy_seats", stale=True)  # the copy before the update
    told = wait_answers(bot, "U0BILL", 1)[0]  # Bastien reads French
    assert "*Talk* est déjà passé de 2 à 3 sièges, achat fait par <@U0OWNER>" in told
    assert _seats(engine)["talk"] == 3
    assert len(_changes(engine)) == 1


def test_buying_a_suite_product_moves_the_whole_suite(bot: RunningBot, engine: Engine, account: None) -> None:
    bot.command("U0ADMIN", "assign <@U0AG4|dan> chat")  # chat is full too: dan waits
    offer = _offer(bot, "U0OWNER", "assign <@U0AG3|chloe> guide")
    bot.driver.click("U0OWNER", message=offer, action_id="buy_seats")
    done = bot.slack.wait_for(
        lambda: next((m for m in bot.slack.ephemerals("U0OWNER") if "Done" in m.text), None)
    )
    assert done.text == (
        ":white_check_mark: Done: the products of Support Suite keep one seat count: "
        "Guide: 1 → 2 (+1), Chat: 1 → 2 (+1)."
    )
    assert "Seats given to <@U0AG3> and <@U0AG4>" in blocks_text(done.blocks)
    assert (_seats(engine)["guide"], _seats(engine)["chat"]) == (2, 2)
    assert _holders(engine, "guide") == ["U0AG1", "U0AG3"]
    assert _holders(engine, "chat") == ["U0AG2", "U0AG4"]
    (change,) = _changes(engine)  # one change, audited with both lines
    (event,) = [e for e in _audits(engine, "change.applied_directly") if e.subject_id == str(change.id)]
    assert event.after is not None
    assert event.after["lines"] == {"guide": [1, 2], "chat": [1, 2]}
    bot.driver.click("U0OWNER", message=offer, action_id="buy_seats")  # the same offer again
    told = bot.slack.wait_for(
        lambda: next((m.text for m in bot.slack.ephemerals("U0OWNER") if "already" in m.text), None)
    )
    assert "*Guide* and *Chat* already went from 1 to 2 seats, bought by <@U0OWNER>" in told
    assert (_seats(engine)["guide"], _seats(engine)["chat"]) == (2, 2)


def test_a_stale_offer_buys_nothing_and_offers_again_while_people_wait(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    for_chloe = _offer(bot, "U0OWNER", "assign <@U0AG3|chloe> talk")  # Buy 1 at 2 seats
    for_both = _offer(bot, "U0OWNER", "assign <@U0AG4|dan> talk")  # Buy 2 at 2 seats
    seen = len(bot.slack.ephemerals("U0OWNER"))
    bot.driver.click("U0OWNER", message=for_chloe, action_id="buy_seats")  # 2 → 3: chloe served
    assert "Done: Talk: 2 → 3 (+1)" in wait_answers(bot, "U0OWNER", 1, seen)[0]
    seen += 1
    bot.driver.click("U0OWNER", message=for_both, action_id="buy_seats")  # made at 2, not 3
    stale = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0OWNER")[seen:] or None)[0]
    assert stale.text == (
        ":warning: *Talk* has 3 seats now, not 2 as when this offer was made: nothing was bought."
    )
    assert _seats(engine)["talk"] == 3
    again = next(e for b in stale.blocks if b["type"] == "actions" for e in b["elements"])
    assert again["text"]["text"] == "Buy 1 more seat"  # dan still waits
    assert "Talk: 3 → 4 (+1)" in again["confirm"]["text"]["text"]
    bot.driver.click("U0OWNER", message=stale, action_id="buy_seats")
    bot.slack.wait_for(lambda: _holders(engine, "talk") == ["U0AG1", "U0AG2", "U0AG3", "U0AG4"] or None)
    assert _seats(engine)["talk"] == 4
    assert len(_changes(engine)) == 2


def test_an_offer_nobody_needs_any_more_buys_nothing(bot: RunningBot, engine: Engine, account: None) -> None:
    offer = _offer(bot, "U0OWNER", "assign <@U0AG3|chloe> talk")
    bot.command("U0OWNER", "unassign <@U0AG3|chloe> talk")  # chloe no longer waits
    seen = len(bot.slack.ephemerals("U0OWNER"))
    bot.driver.click("U0OWNER", message=offer, action_id="buy_seats")
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0OWNER")[seen:] or None)[0]
    assert (
        "Fewer people wait for a *Talk* seat than when this offer was made: nothing was bought." in told.text
    )
    assert "Nobody is waiting for a *Talk* seat any more." in blocks_text(told.blocks)
    assert "buy_seats" not in blocks_text(told.blocks)
    assert _seats(engine)["talk"] == 2
    assert _changes(engine) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("talk:2:1:w999", "This Buy button is not one seatbot made"),  # no such waiting entry
        ("talk:2:1:a999", "This Buy button is not one seatbot made"),  # no such alert
        ("talk:2:1:x1", "This Buy button is not one seatbot made"),  # unknown origin kind
        ("support:2:1:w1", "This Buy button is not one seatbot made"),  # w1 waits for Talk, not Support
        ("talk:2:5000:w1", "This Buy button is not one seatbot made"),  # a count no offer ever makes
        ("talk:1", "This Buy button is not one seatbot made"),  # an older button's shape
        ("talk:-1:1:w1", "This Buy button is not one seatbot made"),  # negative seats
        ("talk:2:1:w1:extra", "This Buy button is not one seatbot made"),  # trailing junk
        ("<!channel>:2:1:w1", "This Buy button is not one seatbot made"),  # hostile text
        ("sell:2:1:w1", "There is no product “sell”"),  # a product the account does not have
    ],
)
def test_a_forged_buy_value_changes_nothing(
    bot: RunningBot, engine: Engine, account: None, value: str, message: str
) -> None:
    offer = _offer(bot, "U0OWNER", "assign <@U0AG3|chloe> talk")
    assert _waiting_id(engine, "U0AG3") == 1
    seen = len(bot.slack.ephemerals("U0OWNER"))
    bot.driver.click("U0OWNER", message=offer, action_id="buy_seats", value=value)
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0OWNER")[seen:] or None)[0]
    assert message in told.text
    assert "<!channel>" not in told.text
    assert _seats(engine)["talk"] == 2
    assert _changes(engine) == []


@pytest.mark.skipif(not PG_URL, reason="row-level races need PostgreSQL (TEST_DATABASE_URL)")
def test_simultaneous_clicks_on_one_offer_buy_once(
    bot: RunningBot, engine: Engine, account: None, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("this race is about PostgreSQL row locks; SQLite serialises writers")
    bot.command("U0ADMIN", "assign <@U0AG3|chloe> talk")
    alert = _alert(bot, "Talk")
    clickers = ["U0OWNER", "U0BILL"] * 4
    bodies = [click_body(bot, user, action_id="buy_seats", message=alert) for user in clickers]
    barrier = threading.Barrier(len(bodies))

    def click(body: bytes) -> None:
        barrier.wait()
        post(bot, body)

    threads = [threading.Thread(target=click, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    told = bot.slack.wait_for(
        lambda: (
            [m.text for u in ("U0OWNER", "U0BILL") for m in bot.slack.ephemerals(u)]
            if len(bot.slack.ephemerals("U0OWNER")) + len(bot.slack.ephemerals("U0BILL")) == len(bodies)
            else None
        ),
        timeout=20,
    )
    assert sum("Done" in t or "C'est fait" in t for t in told) == 1
    assert sum("already went from 2 to 3" in t or "est déjà passé de 2 à 3" in t for t in told) == 7
    assert _seats(engine)["talk"] == 3
    assert len(_changes(engine)) == 1
    assert len(_audits(engine, "seats.changed")) == 1
