"""Reading a request in full: the "Read in full" and "Details" buttons open a modal with
everything a message had to shorten (every product line, the whole justification)."""

from __future__ import annotations

from slack_bolt import App

from bot.domain.errors import InvalidInput
from bot.messages.reading import request_modal
from bot.messages.requests import READ_REQUEST
from bot.services.request_views import readable_request
from bot.slack import inbound
from handlers.approvals import request_id_of
from handlers.flow import Turn, on_action


def register(app: App) -> None:
    app.action(READ_REQUEST)(on_action("read_request", _open_request))


def _open_request(action: inbound.Action, turn: Turn) -> None:
    request_id = request_id_of(action.value)
    shown = turn.read(readable_request, request_id=request_id)
    if action.trigger_id is None:
        raise InvalidInput("form_unavailable")
    turn.client.views_open(trigger_id=action.trigger_id, view=request_modal(shown, turn.language))
