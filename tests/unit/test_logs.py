"""seatbot's log configuration: what slack_sdk formats follows seatbot's level."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.runtime import logs
from standin import SlackStandIn, SlackUser


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logs.SLACK_SDK_LOGGERS}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def _slack_call(caplog: pytest.LogCaptureFixture) -> list[str]:
    """One Web API call; the lines slack_sdk logged about it."""
    from slack_sdk import WebClient

    logging.getLogger().addHandler(caplog.handler)  # `configure` replaced the root's handlers
    caplog.handler.setLevel(logging.DEBUG)
    with SlackStandIn() as slack:
        slack.add_user(SlackUser(id="U0ADMIN", name="admin", real_name="Admin"))
        caplog.clear()
        WebClient(token=slack.bot_token, base_url=slack.api_url).users_info(user="U0ADMIN")
    return [r.getMessage() for r in caplog.records if r.name.startswith("slack_sdk")]


def test_at_info_slack_sdk_builds_no_line_of_request_bodies(caplog: pytest.LogCaptureFixture) -> None:
    logs.configure(level="INFO", fmt="text")
    for name in logs.SLACK_SDK_LOGGERS:  # what slack_sdk reads before formatting a body
        assert logging.getLogger(name).level == logging.INFO
    assert _slack_call(caplog) == []


def test_at_debug_slack_sdk_still_logs_each_call(caplog: pytest.LogCaptureFixture) -> None:
    logs.configure(level="DEBUG", fmt="text")
    lines = _slack_call(caplog)
    assert any(line.startswith("Sending a request") for line in lines)
    assert any(line.startswith("Received the following response") for line in lines)
