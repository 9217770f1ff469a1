"""The ack path is apart from the work path: Slack gets its answer from what is at hand,
never behind a Slack API call or other work, and "busy" rather than late when saturated;
once a change is committed, nobody is told that nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.messages.change_modal import WORKING_CALLBACK
from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.server import SeatbotWSGI, start_in_background
from standin import SlackDriver, SlackStandIn
from storage.models import ChangeRequest
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import PEOPLE, SIGNING_SECRET, TEAM, RunningBot, blocks_text, open_modal, submit

INTERNAL = ("nothing was changed", "rien n'a été modifié")


def _unknown(bot: RunningBot, *users: str) -> None:
    """seatbot knows nothing of these people (everyone by default) until it asks Slack again."""
    people = bot.deps.people(TEAM)
    people.close()  # a read of the directory in progress would know them again
    for user in users or [person.id for person in PEOPLE]:
        people.forget(user)


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _told_nothing_changed(bot: RunningBot, user_id: str) -> bool:
    said = [m.text for m in bot.slack.dm(user_id)] + [m.text for m in bot.slack.ephemerals(user_id)]
    return any(marker in text for text in said for marker in INTERNAL)


def test_a_submission_is_acked_while_users_info_still_hangs(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    """Validation before the ack reads the cached language or the payload's locale, never Slack."""
    view = open_modal(bot, "U0ADMIN", "request support +2")
    _unknown(bot)  # the person's language is not known any more
    bot.slack.fail_next("users.info", timeout=True, hang_seconds=4, times=1)
    response = bot.driver.submit_view("U0ADMIN", view, {"justification": {"text": "New hires"}})
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == WORKING_CALLBACK
    # Answered while Slack still holds the profile lookup that the work path made.
    assert bot.slack.wait_for(lambda: bot.slack.hanging("users.info") or None) == 1
    final = bot.slack.wait_for(
        lambda: (
            ((v := bot.slack.view(view["id"])) and v.get("callback_id") != WORKING_CALLBACK and v) or None
        ),
        timeout=15,
    )
    assert "Request #1 sent to" in blocks_text(final["blocks"])


def test_a_failure_after_the_commit_never_says_nothing_changed(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    """Profiles unreachable while the approvals go out: the request stands, the requester is
    told it was sent, the approvers get it once Slack answers again."""
    view = open_modal(bot, "U0ADMIN", "request support +2")
    _unknown(bot, "U0OWNER", "U0BILL")
    bot.slack.fail_next("users.info", timeout=True, hang_seconds=0.2, times=3)
    bot.slack.fail_next("views.publish", status=500, times=8)
    answer = submit(bot, "U0ADMIN", view, {"justification": {"text": "New hires"}})
    assert "Request #1 sent to" in blocks_text(answer["view"]["blocks"])
    with Session(engine) as session:
        assert session.exec(select(ChangeRequest.status)).all() == ["pending"]
    for approver in ("U0OWNER", "U0BILL"):
        bot.slack.wait_for(lambda a=approver: bot.slack.dm(a) or None, timeout=20)
    assert not _told_nothing_changed(bot, "U0ADMIN")
    bot.slack.clear_faults()


@pytest.fixture
def narrow_bot(engine: Engine, slack: SlackStandIn, db_url: str) -> Iterator[RunningBot]:
    """seatbot with one worker and room for four jobs, to fill it on purpose."""
    settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db_url,
    )
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="work")
    app = create_app(settings, engine=engine, executor=executor, workers=1, queue=4)
    server = start_in_background(SeatbotWSGI(app, engine))
    try:
        driver = SlackDriver(
            bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack
        )
        yield RunningBot(server.url, driver, slack, app._seatbot_deps)  # type: ignore[attr-defined]
    finally:
        slack.clear_faults()
        server.stop()
        app._seatbot_deps.close()  # type: ignore[attr-defined]


def test_when_the_queue_is_full_the_answer_is_busy_not_late(
    narrow_bot: RunningBot, engine: Engine, account: None
) -> None:
    bot = narrow_bot
    capacity = bot.deps.work.capacity
    _unknown(bot)
    bot.slack.fail_next("users.info", timeout=True, hang_seconds=3, times=1)
    for _ in range(capacity):  # the first holds the only worker on Slack; the others wait their turn
        response = bot.driver.slash_command("U0OWNER", "")
        assert (response.status, response.body) == (200, b"")
    refused = bot.driver.slash_command("U0OWNER", "")
    assert refused.status == 200
    assert "very busy right now" in refused.json()["text"]

    def summaries() -> int:
        return len([m for m in bot.slack.ephemerals("U0OWNER") if "Support" in blocks_text(m.blocks)])

    # What was queued is served; what was refused never runs.
    bot.slack.wait_for(lambda: summaries() == capacity or None, timeout=15)
    assert bot.driver.slash_command("U0OWNER", "").status == 200  # room again: served
    bot.slack.wait_for(lambda: summaries() == capacity + 1 or None, timeout=10)


def test_a_form_sent_while_the_queue_is_full_is_refused_before_any_check(
    narrow_bot: RunningBot, engine: Engine, account: None
) -> None:
    """Overloaded, seatbot refuses a submission at once, before checking it (the blank
    justification is not even looked at), and stores nothing; the form sent again once
    there is room is checked and goes through."""
    bot = narrow_bot
    view = open_modal(bot, "U0ADMIN", "request support +2")
    _unknown(bot)
    bot.slack.fail_next("users.info", timeout=True, hang_seconds=3, times=1)
    for _ in range(bot.deps.work.capacity):
        assert bot.driver.slash_command("U0OWNER", "").status == 200
    refused = bot.driver.submit_view("U0ADMIN", view, {"justification": {"text": "   "}})
    assert refused.status == 200
    answer = refused.json()
    assert answer["response_action"] == "errors"
    assert "very busy right now" in answer["errors"]["justification"]
    with Session(engine) as session:
        assert session.exec(select(ChangeRequest)).all() == []

    def drained() -> bool | None:
        return len(bot.slack.ephemerals("U0OWNER")) == bot.deps.work.capacity or None

    bot.slack.wait_for(drained, timeout=15)
    done = submit(bot, "U0ADMIN", view, {"justification": {"text": "Two new hires"}})
    assert "Request #1" in blocks_text(done["view"]["blocks"])
    with Session(engine) as session:
        assert len(session.exec(select(ChangeRequest)).all()) == 1


def test_an_event_slack_retries_is_acked_and_not_done_twice(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    event = {"type": "app_home_opened", "user": "U0OWNER", "channel": "D0OWNER", "tab": "home"}
    assert bot.driver.event(event, event_id="Ev0000000001").status == 200
    bot.slack.wait_for(lambda: bot.slack.home("U0OWNER"))
    published = len(bot.slack.calls_to("views.publish"))
    replay = bot.driver.event(event, event_id="Ev0000000001", retry_num=1)
    assert replay.status == 200
    # The first delivery drew the tab; the retry is acknowledged and nothing more happens.
    assert bot.driver.slash_command("U0OWNER", "help").status == 200
    bot.slack.wait_for(lambda: bot.slack.ephemerals("U0OWNER") or None)
    assert len(bot.slack.calls_to("views.publish")) == published
