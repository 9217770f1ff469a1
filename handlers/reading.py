"""Reading a request in full: the "Read in full" and "Details" buttons open a modal with
everything a message had to shorten (every product line, the whole justification)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import deps_of
from bot.errors import RequestNotFound, SeatbotError
from bot.messages.errors import error_reply
from bot.messages.reading import request_modal
from bot.messages.requests import READ_REQUEST, simple
from bot.services.request_views import readable_request
from handlers.replies import action_value, request_id_of, tell
from storage.engine import unit_of_work


def register(app: App) -> None:
    app.action(READ_REQUEST)(read_clicked)


def read_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    deps = deps_of(context)
    user_id = body["user"]["id"]
    language = deps.users.language(user_id)
    request_id = request_id_of(action_value(body))
    try:
        with unit_of_work(deps.engine) as session:
            shown = readable_request(
                session, team_id=context.team_id or "", user_id=user_id, request_id=request_id
            )
    except RequestNotFound:
        tell(simple("not_found", language), user_id=user_id, respond=respond, client=client)
        return
    except SeatbotError as error:
        tell(error_reply(error, language), user_id=user_id, respond=respond, client=client)
        return
    client.views_open(trigger_id=body["trigger_id"], view=request_modal(shown, language))
