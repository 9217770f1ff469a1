"""The app-wide error handler: log with the traceback, tell the person something went wrong."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from bot.deps import deps_of
from bot.messages.errors import internal_error_reply

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.error(on_error)


def on_error(error: Exception, body: dict[str, Any], context: BoltContext) -> None:
    logger.error(
        "listener failed team=%s user=%s type=%s",
        context.team_id,
        context.user_id,
        body.get("type") or body.get("command"),
        exc_info=error,
    )
    if context.respond is None or context.user_id is None:
        return
    language = deps_of(context).users.language(context.user_id)
    try:
        context.respond(**internal_error_reply(language).payload(), response_type="ephemeral")
    except Exception:
        logger.exception("could not tell the user about the failure")
