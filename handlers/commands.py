"""The `/seats` slash command."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.commands import ShowHelp, ShowSummary, parse
from bot.deps import deps_of
from bot.messages.help import help_reply
from bot.messages.summary import summary_reply
from bot.services.summary import subscription_summary
from handlers.answer import answer

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/seats")(seats)


def seats(ack: Ack, command: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()  # everything below runs after Slack has its answer
    deps = deps_of(context)
    user_id, team_id = command["user_id"], command["team_id"]
    language = deps.users.language(user_id)
    parsed = parse(command.get("text", ""))
    logger.info("command team=%s user=%s parsed=%s", team_id, user_id, type(parsed).__name__)
    match parsed:
        case ShowSummary():
            reply = answer(deps, language, lambda session: summary_reply(
                subscription_summary(session, team_id=team_id, user_id=user_id), language))
        case ShowHelp(unknown=unknown):
            reply = help_reply(language, unknown=unknown or None)
    respond(**reply.payload(), response_type="ephemeral")
