"""Delivery as Slack sees it when Slack misbehaves: every failure is recorded on its
outbox row and retried, and a post whose answer was lost is never blindly repeated.

seatbot's clock stands still at NOW here, so the background sender only sends what is
due at once; each test moves time on by calling `deliver_due` itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.delivery import sender as sending
from bot.delivery.sender import LEASE, SEND_TIMEOUT, Sender, _Attempt, _Delivered
from bot.services.decisions import decide
from bot.services.seat_changes import Submission, submit
from bot.slack.client import make_web_client
from standin import SlackStandIn
from storage.engine import unit_of_work
from storage.models import OutboxMessage, SlackMessage
from tests.conftest import NOW
from tests.factories import TEAM, make_account
from tests.reliability import record
from tests.slack.conftest import RunningBot, blocks_text, open_modal
from tests.slack.conftest import submit as submit_modal

HANG = SEND_TIMEOUT + 2
"""Slack holds the answer longer than the delivery client waits."""


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _approvals(engine: Engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "approval")).all()
    return {row.recipient: row for row in rows}


def _approval_dms(slack: SlackStandIn, user_id: str) -> list[object]:
    return [m for m in slack.dm(user_id) if "asks for a seat change" in m.text or "modification" in m.text]


def _send_request(bot: RunningBot) -> dict[str, object]:
    view = open_modal(bot, "U0ADMIN", "request support +5")
    return submit_modal(bot, "U0ADMIN", view, {"justification": {"text": "New hires"}})


def _store_request(engine: Engine) -> None:
    """A request stored by a process that then stops before sending anything."""
    with unit_of_work(engine, write=True) as session:
        submit(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts={"support": "12"}, justification="x"),
            now=NOW,
        )


def _held(db_url: str, fault: str, tried: str, held: dict[str, object]) -> None:
    """This fault's row of docs/reliability.md (written once the test's assertions passed)."""
    backend = "postgresql" if db_url.startswith("postgres") else "sqlite"
    record(f"Slack fault: {fault}", backend, tried={"faults injected": tried}, held=held)


def _failed_once(engine: Engine) -> OutboxMessage | None:
    """The approval row whose first attempt failed, once that is recorded and the background
    sender has sent the other one (so the test's own `deliver_due` races with nothing)."""
    rows = list(_approvals(engine).values())
    failed = [r for r in rows if r.attempts == 1 and r.status == "pending" and r.last_error]
    others = [r for r in rows if r not in failed]
    if len(failed) == 1 and [r.status for r in others] == ["sent"]:
        return failed[0]
    return None


def test_a_profile_lookup_timing_out_is_recorded_and_retried_and_the_requester_is_not_misled(
    bot: RunningBot, engine: Engine, account: None, db_url: str
) -> None:
    people = bot.deps.people(TEAM)
    people.profile("U0ADMIN")  # the requester's own look-up is done: the fault is the sender's
    people.close()  # with the read of the directory it started
    for approver in ("U0OWNER", "U0BILL"):
        people.forget(approver)  # the sender looks the approvers up as their DMs go out
    bot.driver.app_home_opened("U0ADMIN")  # the requester has their Home open
    bot.slack.wait_for(lambda: bot.slack.home("U0ADMIN"))
    drawn = len(bot.slack.calls_to("views.publish"))
    bot.slack.fail_next("users.info", timeout=True, hang_seconds=HANG)
    answer = _send_request(bot)
    assert "Request #1 sent to" in blocks_text(answer["view"]["blocks"])  # type: ignore[index]
    failed = bot.slack.wait_for(lambda: _failed_once(engine), timeout=HANG + 10)
    assert failed.claimed_until is None
    assert failed.claimed_by is None
    assert failed.next_attempt_at == NOW + timedelta(seconds=5)
    assert "timed out" in (failed.last_error or "").lower()
    # The listener finished its work as if nothing happened: the Home tab was refreshed.
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.publish")) > drawn or None, timeout=15)
    assert bot.deps.sender.deliver_due(now=NOW + timedelta(seconds=5)) == 1
    row = _approvals(engine)[failed.recipient]
    assert (row.status, row.attempts) == ("sent", 2)
    for approver in ("U0OWNER", "U0BILL"):
        assert len(_approval_dms(bot.slack, approver)) == 1
    told = [m.text for m in bot.slack.ephemerals("U0ADMIN") + bot.slack.dm("U0ADMIN")]
    assert not any("nothing was changed" in text for text in told)
    _held(
        db_url,
        "users.info times out during delivery",
        "users.info held past the delivery client's timeout while the approval DMs go out",
        {
            "failure recorded on the row, lease released": True,
            "approval DMs, once each": True,
            "requester told nothing changed": False,
        },
    )


def test_a_server_error_is_recorded_then_the_dm_is_sent_once(
    bot: RunningBot, engine: Engine, account: None, db_url: str
) -> None:
    bot.slack.fail_next("chat.postMessage", error="internal_error", status=500)
    _send_request(bot)
    failed = bot.slack.wait_for(lambda: _failed_once(engine), timeout=15)
    assert failed.last_error == "http_500"
    assert failed.in_doubt  # a load balancer's 500 does not say whether Slack posted
    assert failed.next_attempt_at == NOW + timedelta(seconds=5)
    assert bot.deps.sender.deliver_due(now=NOW + timedelta(seconds=5)) == 1
    assert bot.slack.calls_to("conversations.history")  # looked before posting again
    for approver in ("U0OWNER", "U0BILL"):
        assert len(_approval_dms(bot.slack, approver)) == 1
    assert {r.status for r in _approvals(engine).values()} == {"sent"}
    _held(
        db_url,
        "HTTP 500",
        "chat.postMessage answers 500 once",
        {"recorded in doubt, looked up before posting again": True, "approval DMs, once each": True},
    )


def test_a_rate_limit_waits_for_retry_after(
    bot: RunningBot, engine: Engine, account: None, db_url: str
) -> None:
    bot.slack.fail_next("chat.postMessage", status=429, retry_after=42)
    _send_request(bot)
    failed = bot.slack.wait_for(lambda: _failed_once(engine), timeout=15)
    assert (failed.last_error, failed.in_doubt) == ("ratelimited", False)
    assert failed.next_attempt_at == NOW + timedelta(seconds=42)
    assert bot.deps.sender.deliver_due(now=NOW + timedelta(seconds=41)) == 0
    assert bot.deps.sender.deliver_due(now=NOW + timedelta(seconds=42)) == 1
    for approver in ("U0OWNER", "U0BILL"):
        assert len(_approval_dms(bot.slack, approver)) == 1
    _held(
        db_url,
        "429 with Retry-After",
        "chat.postMessage answers 429, Retry-After: 42",
        {"not retried before 42 s": True, "sent at 42 s": True, "approval DMs, once each": True},
    )


def test_a_post_that_landed_after_the_client_gave_up_is_not_sent_twice(
    bot: RunningBot, engine: Engine, account: None, db_url: str
) -> None:
    bot.slack.fail_next("chat.postMessage", lands=True, hang_seconds=HANG)
    _send_request(bot)
    failed = bot.slack.wait_for(lambda: _failed_once(engine), timeout=HANG + 10)
    assert failed.in_doubt
    landed = _approval_dms(bot.slack, failed.recipient)
    assert len(landed) == 1  # Slack did post it
    assert bot.deps.sender.deliver_due(now=NOW + timedelta(minutes=1)) == 1
    assert _approval_dms(bot.slack, failed.recipient) == landed  # found, not posted again
    row = _approvals(engine)[failed.recipient]
    assert (row.status, row.in_doubt) == ("sent", False)
    with Session(engine) as session:
        copies = session.exec(
            select(SlackMessage.ts).where(SlackMessage.recipient_id == failed.recipient)
        ).all()
    assert copies == [landed[0].ts]  # recorded with its ts, so the decision updates it
    other = "U0BILL" if failed.recipient == "U0OWNER" else "U0OWNER"
    bot.driver.click(other, message=_approval_dms(bot.slack, other)[0], action_id="approve_request")
    refreshed = bot.slack.wait_for(
        lambda: (m := bot.slack.message(landed[0].channel, landed[0].ts)).edits and m, timeout=15
    )
    assert "approve_request" not in blocks_text(refreshed.blocks)  # the decision reached this copy
    _held(
        db_url,
        "hangs past the client timeout, yet posts",
        "chat.postMessage posts the DM, then holds its answer past the delivery client's timeout",
        {
            "found by its metadata, not posted again": True,
            "one approval DM with live buttons": True,
            "the decision updates that copy": True,
        },
    )


def test_deliver_returns_at_once_while_slack_hangs(bot: RunningBot, engine: Engine, account: None) -> None:
    bot.slack.fail_next("chat.postMessage", timeout=True, hang_seconds=HANG)
    _store_request(engine)
    bot.deps.deliver()
    # Had deliver() sent anything itself, it would have waited out the hang and recorded it.
    assert {r.attempts for r in _approvals(engine).values()} == {0}
    failed = bot.slack.wait_for(lambda: _failed_once(engine), timeout=HANG + 10)
    assert failed.in_doubt  # and the other row went out once the hung one was recorded


def _sender(slack: SlackStandIn, engine: Engine) -> Sender:
    return Sender(engine=engine, client=make_web_client(token=slack.bot_token, base_url=slack.api_url))


def test_a_decision_between_two_approvers_copies_of_one_rendering_reaches_both(
    slack: SlackStandIn, engine: Engine, account: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Approvers who read one language are sent one rendering of the request. Declined after
    the first copy went out and before the second: both end up saying so."""
    billing = slack.user("U0BILL")
    assert billing is not None
    slack.add_user(replace(billing, locale="en-US"))
    _store_request(engine)
    decided: list[str] = []
    post = WebClient.chat_postMessage

    def decline_after_the_first_copy(client: WebClient, **kwargs: Any) -> Any:
        answer = post(client, **kwargs)
        if not decided:
            with unit_of_work(engine, write=True) as session:
                approver = str(kwargs["channel"])  # who has it
                decide(
                    session, team_id=TEAM, user_id=approver, request_id=1, approve=False, reason=None, now=NOW
                )
            decided.append(approver)
        return answer

    monkeypatch.setattr(WebClient, "chat_postMessage", decline_after_the_first_copy)
    _sender(slack, engine).deliver_due(now=NOW)
    assert len(decided) == 1
    for approver in ("U0OWNER", "U0BILL"):
        [copy] = _approval_dms(slack, approver)
        assert f"Declined by <@{decided[0]}>" in blocks_text(copy.blocks)  # type: ignore[attr-defined]


def test_one_approvers_copy_refused_by_slack_does_not_hold_back_the_others(
    slack: SlackStandIn, engine: Engine, account: None
) -> None:
    """The approvers' copies of a request go out together; Slack refusing one (that
    approver's account was disabled) fails that row alone: the other approver has theirs,
    recorded once, kept up to date."""
    _store_request(engine)
    slack.fail_next("chat.postMessage", error="user_disabled", status=200)
    assert _sender(slack, engine).deliver_due(now=NOW) == 1
    rows = _approvals(engine)
    (failed,) = [row for row in rows.values() if row.status == "failed"]
    (sent,) = [row for row in rows.values() if row.status == "sent"]
    assert (failed.last_error, failed.in_doubt, failed.attempts) == ("user_disabled", False, 1)
    assert _approval_dms(slack, failed.recipient) == []
    assert len(_approval_dms(slack, sent.recipient)) == 1
    with Session(engine) as session:
        assert [copy.recipient_id for copy in session.exec(select(SlackMessage)).all()] == [sent.recipient]


def test_copies_posted_but_not_recorded_are_found_not_posted_again(
    slack: SlackStandIn, engine: Engine, account: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording the approvers' copies fails after Slack took them: each row is left in
    doubt, and its next attempt finds the post by its metadata instead of posting again."""
    _store_request(engine)
    sender = _sender(slack, engine)

    def lost(*_: object) -> dict[str, object]:
        raise RuntimeError("the connection dropped while recording")

    monkeypatch.setattr(sending, "_copy", lost)  # inside the recording transaction
    assert sender.deliver_due(now=NOW) == 0
    assert {(r.status, r.in_doubt, r.attempts) for r in _approvals(engine).values()} == {("pending", True, 1)}
    monkeypatch.undo()
    assert sender.deliver_due(now=NOW + timedelta(minutes=5)) == 2
    for approver in ("U0OWNER", "U0BILL"):
        assert len(_approval_dms(slack, approver)) == 1
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert slack.calls_to("conversations.history")
    assert {r.status for r in _approvals(engine).values()} == {"sent"}


def test_a_whole_batch_fits_in_its_lease() -> None:
    """Two senders never hold a row at once: a batch's slowest attempt (a profile looked up
    for each copy and the requester's, then a post each, every call taking its whole
    timeout) ends before the lease its rows were claimed with."""
    slowest_calls = 1 + 2 * sending.BATCH_AT_MOST
    assert slowest_calls * SEND_TIMEOUT < LEASE.total_seconds()


def test_a_batch_leaves_out_a_row_tried_since_it_was_listed(
    slack: SlackStandIn, engine: Engine, account: None
) -> None:
    """The copies are listed together; before the batch is claimed, another attempt at one
    posts it, loses Slack's answer and gives it back in doubt. The batch sends the other;
    that one is taken alone, as it is now, and found rather than posted again."""
    _store_request(engine)
    row = _approvals(engine)["U0OWNER"]
    sender = _sender(slack, engine)
    listed = sender._due(NOW, 10)
    assert len(listed) == 2
    assert listed[0].batch == listed[1].batch is not None
    posted = _tried_elsewhere(slack, engine, row)

    assert sender._deliver_batch(listed, NOW, NOW, sending._Shown()) == 1  # the billing admin's
    assert [m.ts for m in slack.dm("U0OWNER")] == [posted]
    assert sender.deliver_due(now=NOW) == 1
    assert [m.ts for m in slack.dm("U0OWNER")] == [posted]
    assert slack.calls_to("conversations.history")


def _crashed_mid_post(engine: Engine, *, lease_left: timedelta) -> OutboxMessage:
    """The owner's approval row as a sender that died while posting it left it."""
    with unit_of_work(engine, write=True) as session:
        row = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "U0OWNER")).one()
        row.claimed_by, row.claimed_until, row.in_doubt = "sender-dead", NOW + lease_left, True
        session.add(row)
    return row


def _tried_elsewhere(slack: SlackStandIn, engine: Engine, row: OutboxMessage) -> str:
    """Another attempt at the row posted it, lost Slack's answer and gave it back in doubt:
    the message's ts."""
    posted = _posted_elsewhere(slack, row)
    with unit_of_work(engine, write=True) as session:
        tried = session.get(OutboxMessage, row.id)
        assert tried is not None
        tried.in_doubt, tried.attempts, tried.last_error = True, 1, "TimeoutError: read timed out"
        session.add(tried)
    return posted


def _posted_elsewhere(slack: SlackStandIn, row: OutboxMessage) -> str:
    """The row's DM as another sender posted it (its answer then lost): the message's ts."""
    other = WebClient(token=slack.bot_token, base_url=slack.api_url, retry_handlers=[])
    posted = other.chat_postMessage(
        channel=row.recipient,
        text="A seat change request",
        metadata={"event_type": "seatbot_outbox", "event_payload": {"outbox_id": row.id}},
    )
    return str(posted["ts"])


def test_a_crashed_senders_post_that_landed_is_recorded_not_repeated(
    slack: SlackStandIn, engine: Engine, account: None, db_url: str
) -> None:
    _store_request(engine)
    row = _crashed_mid_post(engine, lease_left=-timedelta(seconds=1))
    posted = _posted_elsewhere(slack, row)  # what the dead sender managed before dying
    assert _sender(slack, engine).deliver_due(now=NOW) == 2
    assert [m.ts for m in slack.dm("U0OWNER")] == [posted]
    assert len(_approval_dms(slack, "U0BILL")) == 1
    with Session(engine) as session:
        assert (
            session.exec(select(SlackMessage.ts).where(SlackMessage.recipient_id == "U0OWNER")).one()
            == posted
        )
    _held(
        db_url,
        "a sender dies mid-post",
        "a row left leased and in doubt by a dead sender, its DM already posted",
        {"taken over once the lease ended": True, "recorded, not posted again": True},
    )


def test_a_crashed_senders_post_that_never_landed_is_sent(
    slack: SlackStandIn, engine: Engine, account: None
) -> None:
    _store_request(engine)
    _crashed_mid_post(engine, lease_left=-timedelta(seconds=1))
    assert _sender(slack, engine).deliver_due(now=NOW) == 2
    assert len(_approval_dms(slack, "U0OWNER")) == 1
    assert slack.calls_to("conversations.history")


def test_a_row_leased_by_a_live_sender_is_left_to_it(
    slack: SlackStandIn, engine: Engine, account: None
) -> None:
    _store_request(engine)
    _crashed_mid_post(engine, lease_left=LEASE - timedelta(seconds=1))
    assert _sender(slack, engine).deliver_due(now=NOW) == 1  # the billing admin's only
    assert slack.dm("U0OWNER") == []
    # The lease runs out (the holder died): another sender takes the row over.
    assert _sender(slack, engine).deliver_due(now=NOW + LEASE) == 1
    assert len(_approval_dms(slack, "U0OWNER")) == 1


# -- messages to others wait while people wait for their own answers, for a bounded time:
# the interpreter is shared, and a burst of submissions should get its confirmations first.


def _both_approvals(slack: SlackStandIn) -> list[object]:
    return [m for user in ("U0OWNER", "U0BILL") for m in _approval_dms(slack, user)]


def test_approval_messages_wait_for_a_request_being_worked_on(
    bot: RunningBot, engine: Engine, account: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "YIELD_AT_MOST", 60.0)  # only the job's end lets them go
    _store_request(engine)
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
        assert _both_approvals(bot.slack) == []  # held back while a person waits
    finally:
        finish.set()
    bot.slack.wait_for(lambda: len(_both_approvals(bot.slack)) == 2 or None)


def test_a_pass_holds_its_messages_back_for_a_bounded_time_in_all(
    slack: SlackStandIn, engine: Engine, account: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sending, "YIELD_AT_MOST", 0.2)
    _store_request(engine)
    asked: list[float] = []

    def never_idle(timeout: float) -> bool:  # people keep arriving
        asked.append(timeout)
        time.sleep(timeout)
        return False

    client = make_web_client(token=slack.bot_token, base_url=slack.api_url)
    sender = Sender(engine=engine, client=client, yield_to=never_idle)
    assert sender.deliver_due(now=NOW) == 2
    assert len(_both_approvals(slack)) == 2
    assert len(asked) == 1, "one wait for the whole pass, not one per message"
    assert 0 < asked[0] <= 0.2


def test_a_sender_that_lost_its_lease_records_nothing(
    slack: SlackStandIn, engine: Engine, account: None
) -> None:
    """Another sender took the row over mid-post: the slow one must not mark it sent (the
    new holder finds the post by its metadata and records it once)."""
    _store_request(engine)
    row = _approvals(engine)["U0OWNER"]
    assert row.id is not None
    slow = _sender(slack, engine)
    (due,) = [d for d in slow._due(NOW, 10) if d.id == row.id]
    assert slow._claim(due, NOW) is not None
    with unit_of_work(engine, write=True) as session:
        taken = session.get(OutboxMessage, row.id)
        assert taken is not None
        taken.claimed_by = "sender-other"
        session.add(taken)

    posted = {"channel": "D0OWNER", "ts": "1.000001"}
    slow._sent([_Delivered(row.id, posted, None, _Attempt(in_doubt=True))], NOW)

    after = _approvals(engine)["U0OWNER"]
    assert (after.status, after.claimed_by, after.attempts) == ("pending", "sender-other", 0)
    with Session(engine) as session:
        assert session.exec(select(SlackMessage)).all() == []


def test_a_row_tried_since_it_was_listed_is_taken_as_it_is_now(
    slack: SlackStandIn, engine: Engine, account: None
) -> None:
    """A sender lists what is due; before it claims one of those rows, another attempt at
    it posts, loses Slack's answer and gives the row back in doubt. The claim must not go
    by the listing, or the message would be posted again without looking."""
    _store_request(engine)
    row = _approvals(engine)["U0OWNER"]
    sender = _sender(slack, engine)
    (listed,) = [d for d in sender._due(NOW, 10) if d.id == row.id]
    assert not listed.in_doubt
    posted = _tried_elsewhere(slack, engine, row)

    assert sender._deliver_one(listed, NOW, NOW, sending._Shown()) == 0  # not taken as it was listed
    assert [m.ts for m in slack.dm("U0OWNER")] == [posted]
    assert sender.deliver_due(now=NOW) == 2  # taken as it is: looked for, found, recorded
    assert [m.ts for m in slack.dm("U0OWNER")] == [posted]
    assert slack.calls_to("conversations.history")
