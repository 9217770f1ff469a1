"""Answers through a response_url: the message `/seats` shows, posted once, below what the
person typed and seen by them alone. A response_url Slack refuses is one warning line,
never a traceback nor a second post; a connection cut before Slack answered is tried once more."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine

from bot.slack import keep_alive
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_answer_is_ephemeral_below_the_command(bot: RunningBot, account: None) -> None:
    reply = bot.command("U0ADMIN")
    assert reply.text == "Seats of Acme Support"
    assert reply.ephemeral_for == "U0ADMIN"
    assert reply.via == "response_url"
    [post] = bot.slack.calls_to("response_url")
    assert (post.params["response_type"], post.params["replace_original"]) == ("ephemeral", False)
    assert post.ok
    assert not post.warnings


@pytest.mark.parametrize(("status", "error"), [(404, "expired_url"), (500, "")])
def test_a_refused_response_url_is_logged_once_and_not_posted_again(
    bot: RunningBot, account: None, caplog: pytest.LogCaptureFixture, status: int, error: str
) -> None:
    bot.slack.fail_next("response_url", status=status, error=error)
    assert bot.driver.slash_command("U0ADMIN", "").status == 200
    warned = bot.slack.wait_for(
        lambda: [m for m in _problems(caplog) if "response_url refused the answer" in m] or None
    )
    assert warned == [f"response_url refused the answer status={status} error={_body(status, error)}"]
    assert len(bot.slack.calls_to("response_url")) == 1  # not sent twice
    assert bot.slack.ephemerals("U0ADMIN") == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def _body(status: int, error: str) -> str:
    return f'{{"ok": false, "error": "{error}"}}' if status < 500 else f"{status} upstream error"


def test_a_connection_cut_before_slack_answered_is_tried_once_more(
    bot: RunningBot, account: None, caplog: pytest.LogCaptureFixture
) -> None:
    bot.slack.fail_next("response_url", timeout=True, hang_seconds=0.2)  # dropped, nothing posted
    reply = bot.command("U0ADMIN")  # exactly one answer, or this fails
    assert reply.text == "Seats of Acme Support"
    assert [c.ok for c in bot.slack.calls_to("response_url")] == [False, True]
    assert _problems(caplog) == []


def test_with_a_proxy_the_answer_goes_through_bolt_as_before(
    bot: RunningBot, account: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keep_alive, "_pool", None)  # as `install()` leaves it when a proxy is set
    reply = bot.command("U0ADMIN")
    assert reply.text == "Seats of Acme Support"
    assert [(c.params["response_type"], c.ok) for c in bot.slack.calls_to("response_url")] == [
        ("ephemeral", True)
    ]
