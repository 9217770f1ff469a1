"""`seatbot socket`: the same app over Socket Mode, against the stand-in's websocket."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from bot.runtime.config import Settings
from bot.runtime.socket_mode import socket_handler
from standin import SlackDriver, SlackStandIn
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import blocks_text


@pytest.fixture
def over_socket(engine: Engine, slack: SlackStandIn, db_url: str) -> Iterator[SlackDriver]:
    settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_app_token=slack.app_token,
        slack_api_url=slack.api_url,
        database_url=db_url,
    )
    executor = ThreadPoolExecutor(max_workers=4)
    handler = socket_handler(settings, engine=engine, executor=executor)
    handler.client.receive_timeout = 0.2  # the builtin client otherwise lingers 3 s on close
    handler.connect()  # type: ignore[no-untyped-call]
    try:
        slack.wait_for(lambda: slack.socket_connections or None)
        yield SlackDriver(bot_url="", signing_secret="unused", standin=slack, transport="socket")
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        executor.shutdown(wait=True)
        handler.app._seatbot_deps.sender.close()  # type: ignore[attr-defined]


def test_summary_and_a_request_over_socket_mode(
    over_socket: SlackDriver, slack: SlackStandIn, engine: Engine
) -> None:
    make_account(engine, now=NOW)
    over_socket.slash_command("U0ADMIN", "")
    summary = slack.wait_for(lambda: slack.ephemerals("U0ADMIN") or None)[-1]
    assert "10 seats · 2 in use · 8 free" in blocks_text(summary.blocks)
    over_socket.slash_command("U0ADMIN", "request support +2")
    view = slack.wait_for(lambda: slack.open_views("U0ADMIN") and slack.open_views("U0ADMIN")[-1])
    over_socket.submit_view("U0ADMIN", view, {"justification": {"text": "two more"}})
    dm = slack.wait_for(lambda: slack.dm("U0OWNER") or None)[-1]
    assert "Support: 10 → 12 seats (+2, 2 in use)" in blocks_text(dm.blocks)
