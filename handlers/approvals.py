"""Approve, Decline (with its reason modal) and Withdraw buttons."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.deps import Deps, deps_of
from bot.errors import (
    AlreadyDecided,
    NoLongerApplicable,
    NothingToWithdraw,
    OwnRequest,
    RequestNotFound,
    SeatbotError,
)
from bot.messages.change_modal import DECLINE_CALLBACK, REASON_BLOCK, TEXT_ACTION, decline_modal, info_view
from bot.messages.errors import error_reply
from bot.messages.reply import Reply
from bot.messages.requests import APPROVE, DECLINE, WITHDRAW, already_decided, not_applicable, simple
from bot.permissions import APPROVERS
from bot.services.decisions import decide, decision_preflight, withdraw
from handlers.home import refresh_homes
from handlers.replies import action_value, request_id_of, tell
from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import ChangeRequest

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(APPROVE)(approve_clicked)
    app.action(DECLINE)(decline_clicked)
    app.view(DECLINE_CALLBACK)(decline_submitted)
    app.action(WITHDRAW)(withdraw_clicked)


def explain(error: SeatbotError, request_id: int, language: str) -> Reply:
    """Decision errors, in words; everything else through the common error messages."""
    if isinstance(error, AlreadyDecided):
        return already_decided(error, language)
    if isinstance(error, NoLongerApplicable):
        return not_applicable(request_id, error.problems, language)
    if isinstance(error, OwnRequest):
        return simple("own_request", language)
    if isinstance(error, RequestNotFound):
        return simple("not_found", language)
    if isinstance(error, NothingToWithdraw):
        return simple("nothing_to_withdraw", language)
    return error_reply(error, language)


def approve_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    deps = deps_of(context)
    user_id = body["user"]["id"]
    team_id = context.team_id or ""
    request_id = request_id_of(action_value(body))
    refusal = _decide(deps, client, team_id, user_id, request_id, approve=True, reason=None)
    if refusal is not None:
        tell(refusal, user_id=user_id, respond=respond, client=client)


def decline_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """Open the reason modal, unless the request can't be declined (by this person, any more)."""
    ack()
    deps = deps_of(context)
    user_id = body["user"]["id"]
    language = deps.users.language(user_id)
    request_id = request_id_of(action_value(body))
    try:
        with unit_of_work(deps.engine) as session:
            shown = decision_preflight(
                session, team_id=context.team_id or "", user_id=user_id, request_id=request_id
            )
    except SeatbotError as error:
        tell(explain(error, request_id, language), user_id=user_id, respond=respond, client=client)
        return
    client.views_open(trigger_id=body["trigger_id"], view=decline_modal(shown, language))


def decline_submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps = deps_of(context)
    user_id = body["user"]["id"]
    team_id = context.team_id or ""
    language = deps.users.language(user_id)
    view = body.get("view") or {}
    request_id = _metadata_request_id(view.get("private_metadata"))
    values = view.get("state", {}).get("values", {})
    reason = str(((values.get(REASON_BLOCK) or {}).get(TEXT_ACTION) or {}).get("value") or "")
    # Decided before the ack: a refusal replaces the modal instead of closing it.
    refusal = _decide(deps, client, team_id, user_id, request_id, approve=False, reason=reason, ack=ack)
    if refusal is not None:
        ack(response_action="update", view=info_view(refusal, language))


def _decide(
    deps: Deps,
    client: WebClient,
    team_id: str,
    user_id: str,
    request_id: int,
    *,
    approve: bool,
    reason: str | None,
    ack: Ack | None = None,
) -> Reply | None:
    """Take the decision in one transaction; return what to tell the person if it was refused."""
    try:
        with unit_of_work(deps.engine, write=True) as session:
            decided = decide(
                session,
                team_id=team_id,
                user_id=user_id,
                request_id=request_id,
                approve=approve,
                reason=reason,
                now=deps.clock(),
            )
            requester = decided.request.requester_id
    except SeatbotError as error:
        return explain(error, request_id, deps.users.language(user_id))
    if ack is not None:
        ack()
    logger.info("request decided team=%s request=%s by=%s approved=%s", team_id, request_id, user_id, approve)
    deps.deliver()
    _refresh_involved(deps, client, team_id, request_id, [user_id, requester])
    return None


def withdraw_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    deps = deps_of(context)
    user_id = body["user"]["id"]
    team_id = context.team_id or ""
    run_withdraw(
        deps,
        client,
        team_id=team_id,
        user_id=user_id,
        request_id=request_id_of(action_value(body)),
        say=lambda reply: tell(reply, user_id=user_id, respond=respond, client=client),
    )


def run_withdraw(
    deps: Deps,
    client: WebClient,
    *,
    team_id: str,
    user_id: str,
    request_id: int | None,
    say: Callable[[Reply], object],
) -> None:
    """Withdraw the person's pending request (`/seats withdraw`) or the one clicked; tell them
    first, then rewrite the approvers' copies."""
    language = deps.users.language(user_id)
    try:
        with unit_of_work(deps.engine, write=True) as session:
            withdrawn = withdraw(
                session, team_id=team_id, user_id=user_id, now=deps.clock(), request_id=request_id
            )
    except SeatbotError as error:
        say(explain(error, request_id or 0, language))
        return
    say(simple("withdrawn", language, id=withdrawn.id))
    deps.deliver()
    _refresh_involved(deps, client, team_id, withdrawn.id or 0, [user_id])


def _metadata_request_id(metadata: object) -> int:
    try:
        data = json.loads(str(metadata or "{}"))
    except ValueError:
        return 0
    return request_id_of(data.get("request_id") if isinstance(data, dict) else None)


def _refresh_involved(deps: Deps, client: WebClient, team_id: str, request_id: int, users: list[str]) -> None:
    """App Home of the people involved: the decider, the requester, the other approvers."""
    with unit_of_work(deps.engine) as session:
        request = session.get(ChangeRequest, request_id)
        approvers = (
            repo.holders_of(session, account_id=request.account_id, roles=APPROVERS) if request else []
        )
    refresh_homes(deps, client, team_id=team_id, user_ids=[*users, *approvers])
