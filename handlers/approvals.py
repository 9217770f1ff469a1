"""Approve, Decline (with its reason modal) and Withdraw buttons.

Each decision is one conditional update (`bot.services.decisions`): a
replayed or double click is refused by the database and answered with what
already happened.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.errors import InvalidInput, SeatbotError
from bot.messages.change_modal import DECLINE_CALLBACK, REASON_BLOCK, TEXT_ACTION, decline_modal, info_view
from bot.messages.errors import error_reply
from bot.messages.requests import APPROVE, DECLINE, WITHDRAW, simple
from bot.runtime.deps import deps_of
from bot.services.decisions import decide, decision_preflight, withdraw
from bot.slack import inbound
from handlers.flow import Turn, later, on_action

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(APPROVE)(on_action("approve", _approve))
    app.action(DECLINE)(on_action("decline_form", _open_reason))
    app.view(DECLINE_CALLBACK)(decline_submitted)
    app.action(WITHDRAW)(on_action("withdraw", _withdraw))


def request_id_of(value: object) -> int:
    """Ids in payloads are untrusted text: anything but a small positive integer is 0 (not found).
    A decision button's `<id>:<version>` gives its id."""
    text = str(value or "").split(":", 1)[0]
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 0


def version_of(value: object) -> int | None:
    """The version a decision button was drawn for (`<id>:<version>`); None for older buttons."""
    _, _, text = str(value or "").partition(":")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _approve(action: inbound.Action, turn: Turn) -> None:
    _decide(turn, request_id_of(action.value), approve=True, reason=None, version=version_of(action.value))


def _open_reason(action: inbound.Action, turn: Turn) -> None:
    """Open the reason modal, unless the request can't be declined (by this person, any more)."""
    request_id = request_id_of(action.value)
    shown = turn.read(decision_preflight, request_id=request_id)
    if action.trigger_id is None:
        raise InvalidInput("form_unavailable")
    view = decline_modal(shown, turn.language, version=version_of(action.value))
    turn.client.views_open(trigger_id=action.trigger_id, view=view)


def decline_submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    sent = inbound.submission(body)
    if sent is None:
        ack()
        return
    deps = deps_of(context)
    origin = sent.origin
    language = deps.people(origin.team_id).known_language(origin.user_id, locale=origin.locale)
    request_id, version = _metadata_request_id(sent.view.private_metadata)
    field = sent.view.values.get(REASON_BLOCK, {}).get(TEXT_ACTION, {}).get("value")
    reason = field if isinstance(field, str) else ""
    # Checked before the ack, read-only: a refusal replaces the modal instead of closing it.
    try:
        deps.read(decision_preflight, team_id=origin.team_id, user_id=origin.user_id, request_id=request_id)
    except SeatbotError as error:
        ack(response_action="update", view=info_view(error_reply(error, language), language))
        return
    later(
        deps,
        client,
        ack=ack,
        origin=origin,
        response_url=None,  # a modal has none: a late refusal comes by DM
        name="decline",
        work=lambda turn: _decide(turn, request_id, approve=False, reason=reason, version=version),
        busy=lambda reply: ack(response_action="errors", errors={REASON_BLOCK: reply.text[:2000]}),
    )


def _decide(
    turn: Turn, request_id: int, *, approve: bool, reason: str | None, version: int | None = None
) -> None:
    """Take the decision in one transaction; a refusal is a domain error, told by `run` (one taken
    on a version the requester has amended since is refused: their copy is being redrawn)."""
    decided = turn.write(decide, request_id=request_id, approve=approve, reason=reason, version=version)
    logger.info(
        "request decided team=%s request=%s by=%s approved=%s",
        turn.team_id,
        request_id,
        turn.user_id,
        approve,
    )
    turn.delivered_and_refreshed([turn.user_id, *decided.concerned])


def _withdraw(action: inbound.Action, turn: Turn) -> None:
    run_withdraw(turn, request_id=request_id_of(action.value))


def run_withdraw(turn: Turn, *, request_id: int | None) -> None:
    """Withdraw the person's pending request (`/seats withdraw`) or the one clicked; tell them
    first, then rewrite the approvers' copies."""
    withdrawn = turn.write(withdraw, request_id=request_id)
    turn.after_commit(
        "answer", lambda: turn.tell(simple("withdrawn", turn.language, id=withdrawn.request_id))
    )
    turn.delivered_and_refreshed(withdrawn.concerned)


def _metadata_request_id(metadata: str) -> tuple[int, int | None]:
    try:
        data = json.loads(metadata or "{}")
    except ValueError:
        return 0, None
    if not isinstance(data, dict):
        return 0, None
    return request_id_of(data.get("request_id")), version_of(f":{data.get('version')}")
