"""The app-wide error handler, for what fails before the work is handed on.

It logs with the traceback; the person is told by a note sent off the ack
path (nothing had been written yet, so nothing changed).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.messages.errors import internal_error_reply
from bot.runtime.deps import CONTEXT_KEY, deps_of
from bot.slack import response_urls

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.error(on_error)


def on_error(error: Exception, body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    kind = body.get("type") or body.get("command") if isinstance(body, dict) else None
    logger.error(
        "listener failed team=%s user=%s type=%s", context.team_id, context.user_id, kind, exc_info=error
    )
    user_id = context.user_id
    if user_id is None or CONTEXT_KEY not in context:
        return
    deps = deps_of(context)
    reply = internal_error_reply(deps.people(context.team_id or "").known_language(user_id))
    response_url = body.get("response_url") if isinstance(body, dict) else None

    def tell() -> None:
        if isinstance(response_url, str) and response_url.startswith(("https://", "http://")):
            response_urls.post_ephemeral(response_url, reply)
        else:  # modals and App Home have no response_url: tell them by DM
            client.chat_postMessage(channel=user_id, **reply.payload())

    deps.courtesy(tell)
