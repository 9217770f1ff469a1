"""Seat assignment, seats on the fly, and out-of-licences alerts, through Slack."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from standin import SlackUser
from standin.models import Message
from storage.models import AuditEvent, PendingAssignment, Product, SeatAlert, SeatAssignment
from tests.conftest import NOW, PG_URL
from tests.factories import account_data, make_account
from tests.slack.conftest import RunningBot, blocks_text, open_modal, submit

MORE_PEOPLE = [
    SlackUser(id="U0AG3", name="chloe", real_name="Chloé Agent", locale="fr-FR"),
    SlackUser(id="U0AG4", name="dan", real_name="Dan Agent"),
    SlackUser(id="U0AG5", name="eve", real_name="Eve Agent"),
    SlackUser(id="U0DUP1", name="sam", real_name="Sam One"),
    SlackUser(id="U0DUP2", name="sam.two", real_name="Sam", display_name="sam"),
    SlackUser(id="U0ROBOT", name="robot", real_name="Robot", is_bot=True),
    SlackUser(id="U0GONE", name="gone", real_name="Gone Person", deleted=True),
]


@pytest.fixture
def people(bot: RunningBot) -> None:
    for person in MORE_PEOPLE:
        bot.slack.add_user(person)


@pytest.fixture
def account(engine: Engine, people: None) -> None:
    """Support 10 seats (2 used), Guide 5 (0 used), Talk 2 (2 used: full)."""
    make_account(engine, now=NOW)


def _holders(engine: Engine, key: str) -> list[str]:
    with Session(engine) as session:
        query = select(SeatAssignment.user_id).join(Product).where(Product.key == key)
        return sorted(session.exec(query).all())


def _alerts(bot: RunningBot) -> list[Message]:
    return [m for m in bot.slack.messages("C0ALERTS") if m.ephemeral_for is None]


def test_assign_by_mention_and_by_name(bot: RunningBot, engine: Engine, account: None) -> None:
    reply = bot.command("U0ADMIN", "assign <@U0AG3|chloe> guide")
    assert reply.text == ":white_check_mark: <@U0AG3> now has a *Guide* seat (1 of 5 in use)."
    reply = bot.command("U0ADMIN", "assign @Dan guide")
    assert "<@U0AG4> now has a *Guide* seat (2 of 5 in use)" in reply.text
    assert _holders(engine, "guide") == ["U0AG3", "U0AG4"]
    told = bot.slack.wait_for(lambda: bot.slack.dm("U0AG3") or None)[-1]
    assert "Vous avez maintenant un siège *Guide*, attribué par <@U0ADMIN>" in blocks_text(told.blocks)
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "seat.assigned", AuditEvent.actor_id == "U0ADMIN")
        ).all()
    assert [e.subject_id for e in events] == ["U0AG3", "U0AG4"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("assign <@U0AG1|ana> support", "<@U0AG1> already has a *Support* seat"),
        ("assign @nobody support", "“nobody” is not someone in this workspace"),
        ("assign @sam support", "Several people match “sam”"),
        ("assign <@U0ROBOT|robot> support", "is a bot"),
        ("assign <@U0GONE|gone> support", "is deactivated"),
        ("assign <@U0AG3|chloe> chat", "There is no product “chat”"),
        ("assign support", "Tell me who and which product"),
        ("unassign <@U0AG3|chloe> support", "<@U0AG3> has no *Support* seat"),
    ],
)
def test_bad_assignments_are_explained_and_change_nothing(
    bot: RunningBot, engine: Engine, account: None, text: str, message: str
) -> None:
    before = {key: _holders(engine, key) for key in ("support", "guide", "talk")}
    assert message in bot.command("U0ADMIN", text).text
    assert {key: _holders(engine, key) for key in before} == before


def test_members_cannot_assign(bot: RunningBot, engine: Engine, account: None) -> None:
    assert "You can't assign seats" in bot.command("U0AG2", "assign <@U0AG3|chloe> guide").text
    assert _holders(engine, "guide") == []


def test_unassign_frees_the_seat_and_tells_the_person(bot: RunningBot, engine: Engine, account: None) -> None:
    reply = bot.command("U0OWNER", "unassign <@U0AG2|bo> support")
    assert "<@U0AG2> no longer has a *Support* seat (1 of 10 in use)" in reply.text
    assert _holders(engine, "support") == ["U0AG1"]
    told = bot.slack.wait_for(lambda: bot.slack.dm("U0AG2") or None)[-1]
    assert "Your *Support* seat was removed by <@U0OWNER>" in blocks_text(told.blocks)


def test_a_deactivated_persons_seat_can_be_freed(bot: RunningBot, engine: Engine, account: None) -> None:
    make_account(engine, now=NOW, agents=[*account_data()["agents"], {"user": "U0GONE", "product": "guide"}])
    assert "no longer has a *Guide* seat" in bot.command("U0ADMIN", "unassign <@U0GONE|gone> guide").text


def test_filling_the_last_seat_posts_exactly_one_alert(bot: RunningBot, engine: Engine, people: None) -> None:
    data = account_data()
    data["products"][2]["seats"] = 3  # talk: 3 seats, 2 in use
    make_account(engine, now=NOW, products=data["products"])
    bot.command("U0ADMIN", "assign <@U0AG3|chloe> talk")
    alert = bot.slack.wait_for(lambda: _alerts(bot) or None)[0]
    assert "*Talk* (Team) is out of seats: 3 of 3 in use." in blocks_text(alert.blocks)
    assert "Request more seats" in blocks_text(alert.blocks)
    bot.command("U0ADMIN", "assign <@U0AG4|dan> talk")  # no seat: waits; the alert is updated, not re-posted
    updated = bot.slack.wait_for(lambda: next((m for m in _alerts(bot) if m.edits), None))
    assert "Waiting for a seat: <@U0AG4>" in blocks_text(updated.blocks)
    assert len(_alerts(bot)) == 1


def test_freeing_then_refilling_posts_a_new_alert(bot: RunningBot, engine: Engine, account: None) -> None:
    bot.command("U0ADMIN", "assign <@U0AG3|chloe> talk")  # talk is full: chloe waits, alert opens
    first = bot.slack.wait_for(lambda: _alerts(bot) or None)[0]
    reply = bot.command("U0ADMIN", "unassign <@U0AG1|ana> talk")  # a seat frees: chloe gets it
    assert "<@U0AG1> no longer has a *Talk* seat" in reply.text
    assert _holders(engine, "talk") == ["U0AG2", "U0AG3"]
    bot.slack.wait_for(lambda: any("Talk" in m.text for m in bot.slack.dm("U0AG3")) or None)
    second = bot.slack.wait_for(lambda: len(_alerts(bot)) == 2 and _alerts(bot)[1])
    assert "is out of seats: 2 of 2 in use" in blocks_text(second.blocks)
    with Session(engine) as session:
        episodes = session.exec(select(SeatAlert)).all()
    assert [(e.closed_at is None) for e in episodes] == [False, True]

    def rewritten() -> Message | None:  # the first's rewrite is queued with the second's post
        closed = bot.slack.message("C0ALERTS", first.ts)
        return closed if closed and "had a free seat again" in blocks_text(closed.blocks) else None

    assert "Request more seats" not in blocks_text(bot.slack.wait_for(rewritten).blocks)


def test_early_warning_then_full_is_one_message(bot: RunningBot, engine: Engine, people: None) -> None:
    data = account_data()
    data["products"][1]["seats"] = 3  # guide: 3 seats, none used
    make_account(engine, now=NOW, products=data["products"], policy={"alert_threshold": 60})
    bot.command("U0ADMIN", "assign <@U0AG3|chloe> guide")  # 1/3: nothing
    assert _alerts(bot) == []
    bot.command("U0ADMIN", "assign <@U0AG4|dan> guide")  # 2/3 = 66 %: warning
    warning = bot.slack.wait_for(lambda: _alerts(bot) or None)[0]
    assert "*Guide* (Professional) is almost full: 2 of 3 in use (66%)." in blocks_text(warning.blocks)
    bot.command("U0ADMIN", "assign <@U0AG5|eve> guide")  # 3/3: the same message escalates
    full = bot.slack.wait_for(
        lambda: next((m for m in _alerts(bot) if "out of seats" in blocks_text(m.blocks)), None)
    )
    assert full.ts == warning.ts
    assert len(_alerts(bot)) == 1


def test_owner_buys_a_seat_in_one_click_and_the_waiting_person_gets_it(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    reply = bot.command("U0OWNER", "assign <@U0AG3|chloe> talk")
    assert "*Talk* has no free seat (2 of 2 in use): <@U0AG3> gets the next one." in reply.text
    buy = next(e for b in reply.blocks if b["type"] == "actions" for e in b["elements"])
    assert buy["text"]["text"] == "Buy 1 more seat"
    assert "Talk: 2 → 3 (+1)" in buy["confirm"]["text"]["text"]
    bot.driver.click("U0OWNER", message=reply, action_id="buy_seats")
    done = bot.slack.wait_for(
        lambda: next((m for m in bot.slack.ephemerals("U0OWNER") if "Done" in m.text), None)
    )
    assert "Talk: 2 → 3 (+1)" in done.text
    assert "<@U0AG3>" in blocks_text(done.blocks)
    assert _holders(engine, "talk") == ["U0AG1", "U0AG2", "U0AG3"]
    told = bot.slack.wait_for(lambda: bot.slack.dm("U0AG3") or None)[-1]
    assert "Vous avez maintenant un siège *Talk*" in blocks_text(told.blocks)


def test_admin_gets_a_prefilled_request_and_approval_completes_the_assignment(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    reply = bot.command("U0ADMIN", "assign <@U0AG3|chloe> talk")
    button = next(e for b in reply.blocks if b["type"] == "actions" for e in b["elements"])
    assert button["text"]["text"] == "Request 1 more seat"
    bot.driver.click("U0ADMIN", message=reply, action_id="open_change_modal")
    view = bot.slack.wait_for(lambda: bot.slack.open_views("U0ADMIN") and bot.slack.open_views("U0ADMIN")[-1])
    talk = next(b for b in view["blocks"] if b.get("block_id") == "seats:talk")
    assert talk["element"]["initial_value"] == "3"
    submit(bot, "U0ADMIN", view, {"justification": {"text": "Chloé joins"}})
    approval = bot.slack.wait_for(lambda: bot.slack.dm("U0OWNER") or None)[-1]
    bot.driver.click("U0OWNER", message=approval, action_id="approve_request")
    bot.slack.wait_for(lambda: _holders(engine, "talk") == ["U0AG1", "U0AG2", "U0AG3"] or None)
    asked = bot.slack.wait_for(
        lambda: next((m for m in bot.slack.dm("U0ADMIN") if "got the" in m.text), None)
    )
    assert "<@U0AG3> got the *Talk* seat you asked for" in blocks_text(asked.blocks)
    with Session(engine) as session:
        assert session.exec(select(PendingAssignment.status)).all() == ["done"]


def test_the_alerts_request_button_opens_the_prefilled_form_by_role(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    bot.command("U0ADMIN", "assign <@U0AG3|chloe> talk")
    alert = bot.slack.wait_for(lambda: _alerts(bot) or None)[0]
    bot.driver.click("U0ADMIN", message=alert, action_id="open_change_modal")
    view = bot.slack.wait_for(lambda: bot.slack.open_views("U0ADMIN") and bot.slack.open_views("U0ADMIN")[-1])
    assert view["submit"]["text"] == "Send request"
    assert (
        next(b for b in view["blocks"] if b.get("block_id") == "seats:talk")["element"]["initial_value"]
        == "3"
    )
    bot.driver.click("U0OWNER", message=alert, action_id="open_change_modal")
    owner_view = bot.slack.wait_for(
        lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1]
    )
    assert owner_view["submit"]["text"] == "Update subscription"
    bot.driver.click("U0AG2", message=alert, action_id="open_change_modal")  # a member in the channel
    refusal = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0AG2") or None)[-1]
    assert "You can't send a change request" in refusal.text
    assert bot.slack.open_views("U0AG2") == []


def test_a_direct_reduction_that_fills_a_product_alerts(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    view = open_modal(bot, "U0OWNER", "request support 2")  # 2 in use: full after the change
    submit(bot, "U0OWNER", view, {})
    alert = bot.slack.wait_for(lambda: _alerts(bot) or None)[0]
    assert "*Support* (Professional) is out of seats: 2 of 2 in use." in blocks_text(alert.blocks)


def test_an_unreachable_alerts_channel_is_reported_to_the_owner(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    bot.slack.add_channel("C0ALERTS", "seat-alerts", bot_is_member=False)
    bot.command("U0ADMIN", "assign <@U0AG3|chloe> talk")
    report = bot.slack.wait_for(
        lambda: next(
            (
                m
                for m in bot.slack.dm("U0OWNER")
                if "couldn't post" in m.text or "couldn't post" in blocks_text(m.blocks)
            ),
            None,
        )
    )
    assert "<#C0ALERTS>" in blocks_text(report.blocks)
    assert "not_in_channel" in blocks_text(report.blocks)


@pytest.mark.skipif(not PG_URL, reason="row-level races need PostgreSQL (TEST_DATABASE_URL)")
def test_concurrent_assignments_never_exceed_the_licence(
    bot: RunningBot, engine: Engine, people: None, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("this race is about PostgreSQL row locks; SQLite serialises writers")
    data = account_data()
    data["products"][1]["seats"] = 1  # guide: one seat, free
    make_account(engine, now=NOW, products=data["products"])
    contenders = ["U0AG3", "U0AG4", "U0AG5", "U0AG1", "U0AG2", "U0OWNER", "U0BILL", "U0ADMIN"]
    barrier = threading.Barrier(len(contenders))

    def assign(user: str) -> None:
        barrier.wait()
        bot.driver.slash_command("U0ADMIN", f"assign <@{user}> guide")

    threads = [threading.Thread(target=assign, args=(u,)) for u in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.slack.wait_for(lambda: len(bot.slack.ephemerals("U0ADMIN")) == len(contenders) or None, timeout=20)
    assert len(_holders(engine, "guide")) == 1
    with Session(engine) as session:
        assert len(session.exec(select(PendingAssignment)).all()) == len(contenders) - 1
