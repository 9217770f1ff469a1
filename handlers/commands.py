"""The `/seats` slash command."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot.commands import Assign, ListRequests, OpenChange, ShowHelp, ShowSummary, Withdraw, parse
from bot.deps import deps_of
from bot.errors import InvalidInput
from bot.messages.errors import error_reply
from bot.messages.help import help_reply
from bot.messages.reply import Reply
from bot.messages.requests import requests_list
from bot.messages.summary import summary_reply
from bot.services.request_lists import overview
from bot.services.summary import subscription_summary
from handlers.answer import answer
from handlers.approvals import run_withdraw
from handlers.assignments import run_assign
from handlers.change_modal import open_modal

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/seats")(seats)


def seats(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    ack()  # everything below runs after Slack has its answer
    deps = deps_of(context)
    user_id, team_id = command["user_id"], command["team_id"]
    language = deps.users.language(user_id)
    parsed = parse(command.get("text", ""))
    logger.info("command team=%s user=%s parsed=%s", team_id, user_id, type(parsed).__name__)
    match parsed:
        case ShowSummary():
            reply = answer(
                deps,
                language,
                lambda session: summary_reply(
                    subscription_summary(session, team_id=team_id, user_id=user_id), language
                ),
            )
        case ShowHelp(unknown=unknown):
            reply = help_reply(language, unknown=unknown or None)
        case OpenChange(bad_amount=bad) if bad is not None:
            reply = error_reply(InvalidInput("bad_amount", text=bad), language)
        case OpenChange() as wanted:
            refusal = open_modal(
                deps,
                client,
                trigger_id=command["trigger_id"],
                team_id=team_id,
                user_id=user_id,
                language=language,
                command=wanted,
            )
            if refusal is None:
                return  # the modal is open; nothing to say in the channel
            reply = refusal
        case Assign() as wanted:
            reply = run_assign(
                deps, client, team_id=team_id, user_id=user_id, command=wanted, language=language
            )
        case ListRequests():
            reply = answer(deps, language, lambda session: _requests(session, team_id, user_id, language))
        case Withdraw():
            run_withdraw(
                deps,
                client,
                team_id=team_id,
                user_id=user_id,
                request_id=None,
                say=lambda said: respond(**said.payload(), response_type="ephemeral"),
            )
            return
    respond(**reply.payload(), response_type="ephemeral")


def _requests(session: Session, team_id: str, user_id: str, language: str) -> Reply:
    listed = overview(session, team_id=team_id, user_id=user_id)
    return requests_list(listed.mine, listed.queue, language)
