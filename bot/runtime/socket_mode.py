"""Socket Mode: the same app, reached over Slack's websocket instead of HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy import Engine

from bot.runtime.app import create_app
from bot.runtime.config import Settings


def socket_handler(
    settings: Settings, *, engine: Engine, executor: ThreadPoolExecutor | None = None
) -> SocketModeHandler:
    """A handler for `seatbot socket`; call `.start()` (blocking) or `.connect()`.

    Requests arrive over the socket the app token opened, so there is no
    signature to check; the app token is what authenticates Slack here.
    """
    assert settings.slack_app_token is not None
    app = create_app(
        settings.model_copy(update={"slack_signing_secret": None}), engine=engine, executor=executor
    )
    return SocketModeHandler(app, settings.slack_app_token.get_secret_value())
