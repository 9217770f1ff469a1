"""Requests and one-click approvals: the DMs, the decision taken once, the outcome."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from standin.models import Message
from storage.models import AuditEvent, ChangeRequest, OutboxMessage, Product, SlackMessage
from tests.conftest import NOW, PG_URL
from tests.factories import account_data, make_account
from tests.slack.conftest import RunningBot, blocks_text, forged_submission, open_modal, submit

APPROVERS = ("U0OWNER", "U0BILL")


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _send_request(
    bot: RunningBot, text: str = "request support +5", why: str = "New hires"
) -> dict[str, Any]:
    view = open_modal(bot, "U0ADMIN", text)
    return submit(bot, "U0ADMIN", view, {"justification": {"text": why}})


def _approval_dm(bot: RunningBot, user_id: str) -> Message:
    return bot.slack.wait_for(
        lambda: next(
            (
                m
                for m in bot.slack.dm(user_id)
                if "asks for a seat change" in m.text or "demande une modification" in m.text
            ),
            None,
        )
    )


def _request(engine: Engine) -> ChangeRequest:
    with Session(engine) as session:
        return session.exec(select(ChangeRequest)).one()


def _seats(engine: Engine, key: str = "support") -> int:
    with Session(engine) as session:
        return session.exec(select(Product.seats).where(Product.key == key)).one()


def _buttons(message: Message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_request_is_stored_and_sent_to_every_approver(bot: RunningBot, engine: Engine, account: None) -> None:
    answer = _send_request(bot)
    assert answer["response_action"] == "update"
    assert "Request #1 sent to <@U0OWNER> and <@U0BILL>" in blocks_text(answer["view"]["blocks"])
    request = _request(engine)
    assert (request.status, request.requester_id, request.justification) == (
        "pending",
        "U0ADMIN",
        "New hires",
    )
    owner_dm = _approval_dm(bot, "U0OWNER")
    text = blocks_text(owner_dm.blocks)
    assert "<@U0ADMIN> asks for a seat change" in text
    assert "Support: 10 → 15 seats (+5, 2 in use)" in text
    assert "+€575.00/month · total €1,395.00 → €1,970.00" in text
    assert "New hires" in text
    assert _buttons(owner_dm) == ["approve_request", "decline_request"]
    approve = next(e for b in owner_dm.blocks if b["type"] == "actions" for e in b["elements"])
    assert approve["confirm"]["title"]["text"] == "Approve this change?"
    billing_dm = _approval_dm(bot, "U0BILL")  # French
    assert "Support: 10 → 15 sièges (+5, 2 utilisés)" in blocks_text(billing_dm.blocks)
    cost = "+575,00\u00a0€/mois · total 1\u202f395,00\u00a0€ → 1\u202f970,00\u00a0€"
    assert cost in blocks_text(billing_dm.blocks)
    assert _seats(engine) == 10  # nothing changes before approval
    bot.slack.wait_for(lambda: _stored_copies(engine) == 2 or None)


def _stored_copies(engine: Engine) -> int:
    with Session(engine) as session:
        return len(session.exec(select(SlackMessage).where(SlackMessage.purpose == "approval")).all())


def test_asking_again_amends_the_pending_request_instead(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    _send_request(bot)
    assert bot.driver.slash_command("U0ADMIN", "request guide +1").status == 200
    form = bot.slack.wait_for(
        lambda: next(
            (v for v in bot.slack.open_views("U0ADMIN") if v["title"]["text"] == "Amend request"), None
        )
    )
    assert "You are amending request #1" in blocks_text(form["blocks"])
    counts = {
        b["block_id"]: b["element"].get("initial_value")
        for b in form["blocks"]
        if b["block_id"].startswith("seats:")
    }
    assert counts["seats:support"] == "15"  # the pending request's count
    assert counts["seats:guide"] == "6"  # and the one just asked for
    with Session(engine) as session:
        assert len(session.exec(select(ChangeRequest)).all()) == 1  # still one request


def test_a_form_submitted_again_from_another_device_makes_no_second_request(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    """The same modal (one view id) sent twice, even with other values: one request, and the
    second answer shows the request already sent."""
    view = open_modal(bot, "U0ADMIN", "request support +1")
    submit(bot, "U0ADMIN", view, {"justification": {"text": "one"}})
    replay = {
        "seats:guide": {"seats": {"type": "number_input", "value": "9"}},
        "justification": {"text": {"type": "plain_text_input", "value": "two"}},
    }
    answer = forged_submission(bot, "U0ADMIN", view, replay)
    assert answer["response_action"] == "update"
    assert "Request #1 sent to <@U0OWNER> and <@U0BILL>" in blocks_text(answer["view"]["blocks"])
    with Session(engine) as session:
        assert len(session.exec(select(ChangeRequest)).all()) == 1


def test_approve_applies_updates_every_copy_and_tells_the_requester(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    _approval_dm(bot, "U0BILL")
    bot.slack.wait_for(lambda: _stored_copies(engine) == 2 or None)
    assert bot.driver.click("U0OWNER", message=owner_dm, action_id="approve_request").status == 200
    outcome = bot.slack.wait_for(lambda: next((m for m in bot.slack.dm("U0ADMIN") if "#1" in m.text), None))
    assert "approved by <@U0OWNER> and applied" in blocks_text(outcome.blocks)
    assert _seats(engine) == 15
    assert _request(engine).status == "applied"
    for approver in APPROVERS:  # every copy shows the outcome, buttons gone
        copy = bot.slack.wait_for(
            lambda a=approver: next((m for m in bot.slack.dm(a) if not _buttons(m) and m.edits), None)
        )
        assert "<@U0OWNER>" in blocks_text(copy.blocks)
    with Session(engine) as session:
        actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.actor_id.is_not(None)))]
    assert actions == ["request.created", "seats.changed", "request.applied"]


def test_decline_asks_for_a_reason_and_tells_the_requester(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    bot.driver.click("U0OWNER", message=owner_dm, action_id="decline_request")
    modal = bot.slack.wait_for(
        lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1]
    )
    assert modal["title"]["text"] == "Decline request"
    # Optional: Slack itself writes "(optional)" after the label, so the label doesn't.
    reason = next(b for b in modal["blocks"] if b.get("block_id") == "reason")
    assert (reason["label"]["text"], reason["optional"]) == ("Reason", True)
    answer = submit(bot, "U0OWNER", modal, {"reason": {"text": "Budget frozen <!channel>"}})
    assert answer == {}  # the modal closes
    outcome = bot.slack.wait_for(lambda: next((m for m in bot.slack.dm("U0ADMIN") if "#1" in m.text), None))
    text = blocks_text(outcome.blocks)
    assert "declined by <@U0OWNER>" in text
    assert "Budget frozen &lt;!channel&gt;" in text  # the reason is shown, never as a mention
    request = _request(engine)
    assert (request.status, request.decline_reason, request.decided_by) == (
        "declined",
        "Budget frozen <!channel>",
        "U0OWNER",
    )
    assert _seats(engine) == 10


def test_the_second_approver_is_told_who_decided_first(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    billing_dm = _approval_dm(bot, "U0BILL")
    bot.driver.click("U0OWNER", message=owner_dm, action_id="approve_request")
    bot.slack.wait_for(lambda: _request(engine).status == "applied" or None)
    bot.driver.click("U0BILL", message=billing_dm, action_id="approve_request", stale=True)
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0BILL") or None)[-1]
    assert "La demande n° 1 a déjà été approuvée par <@U0OWNER>" in told.text
    assert _seats(engine) == 15  # applied once, not twice


def test_a_double_click_decides_once(bot: RunningBot, engine: Engine, account: None) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    bot.driver.click("U0OWNER", message=owner_dm, action_id="approve_request")
    bot.driver.click("U0OWNER", message=owner_dm, action_id="approve_request", stale=True)
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0OWNER") or None)[-1]
    assert "already approved by <@U0OWNER>" in told.text
    assert _seats(engine) == 15
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "seats.changed")).all()) == 1


@pytest.mark.parametrize(
    ("clicker", "value", "message"),
    [
        ("U0ADMIN", None, "You can't approve or decline requests"),  # the requester (an admin)
        ("U0AG2", None, "You can't approve or decline requests"),  # a member
        ("U0OWNER", "999", "does not exist"),  # forged id
        ("U0OWNER", "1 OR 1=1", "does not exist"),  # forged text
    ],
)
def test_forged_or_unauthorised_clicks_change_nothing(
    bot: RunningBot, engine: Engine, account: None, clicker: str, value: str | None, message: str
) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    bot.driver.click(clicker, message=owner_dm, action_id="approve_request", value=value, stale=True)
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals(clicker) or None)[-1]
    assert message in told.text
    assert _request(engine).status == "pending"
    assert _seats(engine) == 10


def test_nobody_decides_their_own_request(bot: RunningBot, engine: Engine, account: None) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    # The requester is promoted to billing admin while the request waits.
    make_account(engine, now=NOW, roles={"owner": "U0OWNER", "billing_admins": ["U0BILL", "U0ADMIN"]})
    bot.driver.click("U0ADMIN", message=owner_dm, action_id="approve_request", stale=True)
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0ADMIN") or None)[-1]
    assert "You can't decide your own request" in told.text
    assert _request(engine).status == "pending"


def test_tampered_decline_metadata_changes_nothing(bot: RunningBot, engine: Engine, account: None) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    bot.driver.click("U0OWNER", message=owner_dm, action_id="decline_request")
    modal = bot.slack.wait_for(
        lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1]
    )
    for metadata in ['{"request_id": 999}', "not json", '{"request_id": "1; DROP TABLE"}']:
        answer = forged_submission(bot, "U0OWNER", modal, {}, private_metadata=metadata)
        assert answer["response_action"] == "update"
        assert "does not exist" in blocks_text(answer["view"]["blocks"])
    assert _request(engine).status == "pending"


def test_approval_that_no_longer_applies_keeps_the_request_pending(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    _send_request(bot)
    owner_dm = _approval_dm(bot, "U0OWNER")
    data = account_data()
    data["products"][0]["seats"] = 12  # support moved 10 → 12 since the request
    make_account(engine, now=NOW, products=data["products"])
    bot.driver.click("U0OWNER", message=owner_dm, action_id="approve_request")
    told = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0OWNER") or None)[-1]
    assert "stays pending" in blocks_text(told.blocks)
    assert "Support now has 12 seats, not 10" in blocks_text(told.blocks)
    assert _request(engine).status == "pending"
    assert _seats(engine) == 12


def test_withdraw_closes_the_request_and_every_copy(bot: RunningBot, engine: Engine, account: None) -> None:
    _send_request(bot)
    _approval_dm(bot, "U0OWNER")
    bot.slack.wait_for(lambda: _stored_copies(engine) == 2 or None)
    reply = bot.command("U0ADMIN", "withdraw")
    assert "Request #1 withdrawn" in reply.text
    assert _request(engine).status == "withdrawn"
    copy = bot.slack.wait_for(lambda: next((m for m in bot.slack.dm("U0OWNER") if m.edits), None))
    assert _buttons(copy) == []
    assert "Withdrawn by the requester" in blocks_text(copy.blocks)
    assert "You have no pending request" in bot.command("U0ADMIN", "withdraw").text


def test_requests_list_shows_mine_and_the_queue(bot: RunningBot, engine: Engine, account: None) -> None:
    _send_request(bot)
    mine = bot.command("U0ADMIN", "requests")
    assert "*#1* · pending · Support: 10 → 15 (+5)" in blocks_text(mine.blocks)
    assert "withdraw_request" in blocks_text(mine.blocks)
    assert "approve_request" not in blocks_text(mine.blocks)
    queue = bot.command("U0OWNER", "requests")
    assert "Waiting for your decision" in blocks_text(queue.blocks)
    assert "approve_request" in blocks_text(queue.blocks)
    bot.driver.click("U0OWNER", message=queue, action_id="approve_request")
    bot.slack.wait_for(lambda: _request(engine).status == "applied" or None)


def test_home_shows_the_queue_to_approvers(bot: RunningBot, engine: Engine, account: None) -> None:
    bot.driver.app_home_opened("U0OWNER")
    bot.slack.wait_for(lambda: bot.slack.home("U0OWNER"))
    _send_request(bot)
    home = bot.slack.wait_for(  # refreshed after the request
        lambda: (h := bot.slack.home("U0OWNER")) and "approve_request" in blocks_text(h["blocks"]) and h
    )
    assert "Waiting for your decision" in blocks_text(home["blocks"])
    assert "approve_request" in blocks_text(home["blocks"])


def test_slack_outage_loses_nothing_and_a_restart_delivers(
    bot: RunningBot, engine: Engine, account: None, db_url: str
) -> None:
    bot.slack.fail_next("chat.postMessage", error="internal_error", status=500, times=20)
    _send_request(bot)
    request = _request(engine)
    assert request.status == "pending"  # stored before any Slack call

    def delivery_gave_up_for_now() -> bool | None:
        with Session(engine) as session:
            rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "approval")).all()
        return (
            len(rows) == 2
            and all(r.attempts >= 1 and r.claimed_until is None and r.status == "pending" for r in rows)
        ) or None

    bot.slack.wait_for(delivery_gave_up_for_now, timeout=20)  # failed, recorded, waiting to retry
    # A new process (restart) finds the undelivered DMs and sends them.
    from datetime import UTC, datetime, timedelta

    from bot.delivery.sender import Sender
    from bot.slack.client import make_web_client

    bot.deps.sender.close()  # the old process is gone
    bot.slack.clear_faults()
    client = make_web_client(token=bot.slack.bot_token, base_url=bot.slack.api_url)
    sender = Sender(engine=engine, client=client)
    sent = sender.deliver_due(now=datetime.now(UTC) + timedelta(hours=2))
    assert sent == 2
    _approval_dm(bot, "U0OWNER")
    _approval_dm(bot, "U0BILL")
    assert sender.deliver_due(now=datetime.now(UTC) + timedelta(hours=3)) == 0  # never twice


@pytest.mark.skipif(not PG_URL, reason="row-level races need PostgreSQL (TEST_DATABASE_URL)")
def test_many_simultaneous_approvals_decide_once(
    bot: RunningBot, engine: Engine, account: None, db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("this race is about PostgreSQL row locks; SQLite serialises writers")
    _send_request(bot)
    dms = {a: _approval_dm(bot, a) for a in APPROVERS}
    barrier = threading.Barrier(12)

    def click(approver: str) -> None:
        barrier.wait()
        bot.driver.click(approver, message=dms[approver], action_id="approve_request", stale=True)

    threads = [threading.Thread(target=click, args=(APPROVERS[i % 2],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.slack.wait_for(
        lambda: len(bot.slack.ephemerals("U0OWNER")) + len(bot.slack.ephemerals("U0BILL")) == 11 or None,
        timeout=15,
    )
    assert _seats(engine) == 15
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "request.applied")).all()) == 1
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "seats.changed")).all()) == 1


def test_odd_text_is_cleaned_not_crashed_on(bot: RunningBot, engine: Engine, account: None) -> None:
    view = open_modal(bot, "U0ADMIN", "request support +1")
    odd = "Need\x00 seats\u202e now\u200b <!here> 🙂 e\u0301"
    answer = forged_submission(
        bot,
        "U0ADMIN",
        view,
        {
            "seats:support": {"seats": {"type": "number_input", "value": "11"}},
            "justification": {"text": {"type": "plain_text_input", "value": odd}},
        },
    )
    assert answer["response_action"] == "update"
    assert _request(engine).justification == "Need seats now <!here> 🙂 é"
    dm = _approval_dm(bot, "U0OWNER")
    assert "&lt;!here&gt;" in blocks_text(dm.blocks)


def test_a_justification_too_long_is_refused_in_the_modal(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    view = open_modal(bot, "U0ADMIN", "request support +1")
    answer = forged_submission(
        bot,
        "U0ADMIN",
        view,
        {
            "seats:support": {"seats": {"type": "number_input", "value": "11"}},
            "justification": {"text": {"type": "plain_text_input", "value": "x" * 5000}},
        },
    )
    assert answer == {"response_action": "errors", "errors": {"justification": "At most 3,000 characters."}}
    with Session(engine) as session:
        assert session.exec(select(ChangeRequest)).all() == []
