"""Reading a request in full: the "Read in full" and "Details" buttons open a modal with
everything a message had to shorten (every product line, the whole justification)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.deps import deps_of
from bot.errors import InvalidInput
from bot.messages.reading import request_modal
from bot.messages.requests import READ_REQUEST
from bot.services.request_views import readable_request
from bot.slack import inbound
from handlers.approvals import request_id_of
from handlers.flow import Turn, later


def register(app: App) -> None:
    app.action(READ_REQUEST)(read_clicked)


def read_clicked(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    action = inbound.action(body)
    if action is None:
        ack()
        return
    request_id = request_id_of(action.value)

    def open_request(turn: Turn) -> None:
        shown = turn.read(
            lambda s: readable_request(s, team_id=turn.team_id, user_id=turn.user_id, request_id=request_id)
        )
        if action.trigger_id is None:
            raise InvalidInput("form_unavailable")
        turn.client.views_open(trigger_id=action.trigger_id, view=request_modal(shown, turn.language))

    later(
        deps_of(context),
        client,
        ack=ack,
        origin=action.origin,
        response_url=action.response_url,
        name="read_request",
        work=open_request,
    )
