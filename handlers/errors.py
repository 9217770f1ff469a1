"""The app-wide error handler: log with the traceback, tell the person something went wrong."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import CONTEXT_KEY, deps_of
from bot.messages.errors import internal_error_reply

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.error(on_error)


def on_error(error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    logger.error(
        "listener failed team=%s user=%s type=%s",
        context.team_id,
        context.user_id,
        body.get("type") or body.get("command"),
        exc_info=error,
    )
    if context.user_id is None or CONTEXT_KEY not in context:
        return
    reply = internal_error_reply(deps_of(context).users.language(context.user_id))
    try:
        if body.get("response_url") and context.respond is not None:
            context.respond(**reply.payload(), response_type="ephemeral", replace_original=False)
        else:  # modals and App Home have no response_url: tell them by DM
            client.chat_postMessage(channel=context.user_id, **reply.payload())
    except Exception:
        logger.exception("could not tell the user about the failure")
