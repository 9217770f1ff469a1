"""The `/seats` slash command: parsed, acked, then one use case on the work queue."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.commands import (
    Assign,
    ListRequests,
    OpenChange,
    Reclaim,
    ShowHelp,
    ShowSummary,
    Withdraw,
    parse,
)
from bot.domain.errors import InvalidInput
from bot.messages.help import help_reply
from bot.messages.requests import requests_list
from bot.messages.summary import summary_reply
from bot.runtime.deps import deps_of
from bot.services.request_lists import overview
from bot.services.summary import subscription_summary
from bot.slack import inbound
from handlers.approvals import run_withdraw
from handlers.assignments import run_assign, run_reclaim
from handlers.change_modal import open_modal
from handlers.flow import Turn, later

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.command("/seats")(seats)


def seats(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    command = inbound.command(body)
    if command is None:
        ack()
        return
    parsed = parse(command.text)
    logger.info(
        "command team=%s user=%s parsed=%s",
        command.origin.team_id,
        command.origin.user_id,
        type(parsed).__name__,
    )

    def work(turn: Turn) -> None:
        match parsed:
            case ShowSummary():
                turn.tell(
                    summary_reply(turn.read(subscription_summary, now=turn.deps.clock()), turn.language)
                )
            case ShowHelp(unknown=unknown):
                turn.tell(help_reply(turn.language, unknown=unknown or None))
            case OpenChange(bad_amount=bad) if bad is not None:
                raise InvalidInput("bad_amount", text=bad)
            case OpenChange() as wanted:
                open_modal(turn, trigger_id=command.trigger_id, command=wanted)
            case Assign() as wanted:
                run_assign(turn, command=wanted)
            case ListRequests():
                listed = turn.read(overview)
                turn.tell(requests_list(listed.mine, listed.queue, turn.language))
            case Withdraw():
                run_withdraw(turn, request_id=None)
            case Reclaim() as wanted:
                run_reclaim(turn, command=wanted)

    later(
        deps_of(context),
        client,
        ack=ack,
        origin=command.origin,
        response_url=command.response_url,
        name=f"command.{type(parsed).__name__}",
        work=work,
        busy=lambda reply: ack(**reply.payload(), response_type="ephemeral"),
    )
