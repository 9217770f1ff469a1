"""What a request costs the database: a few statements, the same for a small account
and a large one (no query per product, per agent or per request listed)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event

from bot.delivery.sender import Sender
from bot.messages.change_modal import PICKED_SEATS_ACTION, PRODUCT_BLOCK, SEATS_ACTION
from bot.services.seat_changes import Submission, draft, submit
from bot.slack.client import make_web_client
from standin import SlackStandIn
from storage.engine import unit_of_work
from tests.conftest import NOW
from tests.factories import TEAM, make_account
from tests.slack.conftest import RunningBot, blocks_text, open_modal
from tests.slack.conftest import submit as submit_form

BACKGROUND = ("outbox-sender", "home-refresher")  # their own work, not the request's
TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")  # SQLite's explicit BEGIN; not a round trip for data
ONCE_A_PERSON = "home_viewer"  # who has opened App Home: recorded the first time only, not per drawing

ADMINS = [f"U0ADM{i:02d}" for i in range(8)]
LARGE: dict[str, Any] = {
    "roles": {"owner": "U0OWNER", "billing_admins": ["U0BILL"], "admins": ["U0ADMIN", *ADMINS]},
    "products": [
        {"key": "support", "name": "Support", "edition": "Professional", "seats": 500, "price_per_seat": 115},
        *(
            {"key": f"p{i:02d}", "name": f"Product {i:02d}", "edition": "Team", "seats": 50}
            for i in range(39)
        ),
    ],
    "agents": [{"user": f"U0AGT{i:03d}", "product": "support"} for i in range(120)]
    + [{"user": f"U0AGT{i:03d}", "product": f"p{i % 39:02d}"} for i in range(120)],
}


class Statements:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if threading.current_thread().name.startswith(BACKGROUND) or statement.startswith(TRANSACTION):
            return
        if ONCE_A_PERSON in statement:
            return
        with self._lock:
            self._seen.append(statement)

    def during(self, action: Callable[[], object]) -> list[str]:
        with self._lock:
            self._seen.clear()
        action()
        with self._lock:
            return list(self._seen)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """A month after the accounts are made: old enough for run-out forecasts, which cost
    their queries too."""
    return lambda: NOW + timedelta(days=30)


@pytest.fixture
def statements(engine: Engine) -> Iterator[Statements]:
    counter = Statements()
    event.listen(engine, "before_cursor_execute", counter)
    yield counter
    event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture(params=["small", "large"])
def size(request: pytest.FixtureRequest, engine: Engine) -> str:
    if request.param == "small":
        make_account(engine, now=NOW)
    else:
        make_account(engine, now=NOW, **LARGE)
    return str(request.param)


def _pending_requests(engine: Engine, count: int) -> None:
    """`count` admins each with a pending request, for the owner's queue."""
    for admin in ADMINS[:count]:
        with unit_of_work(engine, write=True) as session:
            submit(
                session,
                team_id=TEAM,
                user_id=admin,
                submission=Submission(counts={"support": "600"}, justification="Hires"),
                now=NOW,
            )


# At most this many statements, whatever the account's size: a query per product, per
# agent or per listed request would go far past these at 40 products and 8 requests.
# The summary, the form and App Home read two more for their run-out forecasts; the
# home's last is the Settings section's roles (one query, whatever their number).
LIMITS = {"summary": 3, "open_modal": 3, "keystroke": 3, "home": 9, "submit": 6}


def _within_limit(flow: str, seen: list[str]) -> None:
    assert len(seen) <= LIMITS[flow], "\n".join(seen)


def test_the_summary(bot: RunningBot, statements: Statements, size: str) -> None:
    seen = statements.during(lambda: bot.command("U0OWNER", ""))
    _within_limit("summary", seen)


def test_opening_the_change_modal_and_a_keystroke(bot: RunningBot, statements: Statements, size: str) -> None:
    opened: dict[str, Any] = {}
    seen = statements.during(lambda: opened.update(open_modal(bot, "U0ADMIN", "request support +1")))
    _within_limit("open_modal", seen)
    view = opened
    before = view["hash"]
    field = SEATS_ACTION if size == "small" else PICKED_SEATS_ACTION  # 40 products: a picker

    def keystroke() -> None:
        bot.driver.click(
            "U0ADMIN", view=view, action_id=field, block_id=f"{PRODUCT_BLOCK}support", value="503"
        )
        bot.slack.wait_for(lambda: (bot.slack.view(view["id"]) or {}).get("hash") != before or None)

    _within_limit("keystroke", statements.during(keystroke))


def test_submitting_a_request(bot: RunningBot, statements: Statements, size: str) -> None:
    """Checked before the ack in one statement (the person, the products, and a replay or
    a pending request of theirs), then written: the request, its lines, its audit event and
    every approver's message, each in one statement; the form's answer is drawn from what
    was written, with nothing read back."""
    view = open_modal(bot, "U0ADMIN", "request support +1")
    answer: dict[str, Any] = {}
    seen = statements.during(
        lambda: answer.update(submit_form(bot, "U0ADMIN", view, {"justification": {"text": "New hires"}}))
    )
    assert "Request #1 sent to" in blocks_text(answer["view"]["blocks"])
    _within_limit("submit", seen)


def test_app_home_with_a_queue(bot: RunningBot, engine: Engine, statements: Statements, size: str) -> None:
    """The owner's home lists the pending requests with their lines: one query for all of them."""
    if size == "small":
        make_account(engine, now=NOW, roles=LARGE["roles"])
    _pending_requests(engine, 1 if size == "small" else 8)

    def opened() -> None:
        bot.driver.app_home_opened("U0OWNER")
        bot.slack.wait_for(lambda: bot.slack.home("U0OWNER"))

    _within_limit("home", statements.during(opened))


# What the approval DM costs the sender, a message: the same for a one-line request as for
# one of 40 products that takes 60 agents' seats (no query per line, per product or per agent).
APPROVAL_DM_LIMIT = 8
# A further approver who reads the same language is sent the same rendering, claimed, read
# and recorded with the first: nothing more on PostgreSQL, the copy's own INSERT on SQLite
# (an executemany there, one statement a row).
SAME_MESSAGE_LIMIT = 1
PASS_LISTS = 2
"""A pass lists what is due before its first message and after its last: not a message's cost."""


def _submitted(engine: Engine, size: str) -> None:
    counts = {"support": "12"}
    if size == "large":
        counts = {"support": "60", **{f"p{i:02d}": "51" for i in range(39)}}
    with unit_of_work(engine, write=True) as session:
        shown = draft(session, team_id=TEAM, user_id="U0ADMIN", submission=Submission(counts=counts))
        assert len(shown.change.releases) == (60 if size == "large" else 0)
        submission = Submission(
            counts=counts, justification="Hires", confirmed_token=shown.change.release_token
        )
        submit(session, team_id=TEAM, user_id="U0ADMIN", submission=submission, now=NOW)


def _deliver(slack: SlackStandIn, engine: Engine, statements: Statements) -> tuple[int, list[str]]:
    sender = Sender(engine=engine, client=make_web_client(token=slack.bot_token, base_url=slack.api_url))
    sent: list[int] = []
    seen = statements.during(lambda: sent.append(sender.deliver_due(now=NOW)))
    return sent[0], seen


def test_the_sender_draws_a_seat_aware_approval_card_in_a_bounded_number_of_statements(
    slack: SlackStandIn, engine: Engine, statements: Statements, size: str
) -> None:
    _submitted(engine, size)
    sent, seen = _deliver(slack, engine, statements)
    assert sent == 2  # the owner's (English) and the billing admin's (French)
    assert (len(seen) - PASS_LISTS) / 2 <= APPROVAL_DM_LIMIT, "\n".join(seen)
    card = blocks_text(slack.dm("U0OWNER")[0].blocks)
    line = "Support: 500 → 60 seats (-440, 120 → 60 in use)" if size == "large" else "(+2, 2 in use)"
    assert line in card


def test_approvers_who_read_one_language_are_sent_one_rendering(
    slack: SlackStandIn, engine: Engine, statements: Statements, size: str
) -> None:
    billing = slack.user("U0BILL")
    assert billing is not None
    slack.add_user(replace(billing, locale="en-GB"))
    _submitted(engine, size)
    sent, seen = _deliver(slack, engine, statements)
    assert sent == 2
    assert len(seen) - PASS_LISTS <= APPROVAL_DM_LIMIT + SAME_MESSAGE_LIMIT, "\n".join(seen)
    owner, billing_admin = slack.dm("U0OWNER")[0], slack.dm("U0BILL")[0]
    assert (owner.text, _as_read(owner.blocks)) == (billing_admin.text, _as_read(billing_admin.blocks))
    assert "(+2, 2 in use)" in blocks_text(owner.blocks) or size == "large"


def _as_read(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Blocks without the ids Slack makes up for those that have none."""
    return [{key: value for key, value in block.items() if key != "block_id"} for block in blocks]
