"""The change modal: opening it, its live summary, and its submission."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands import Amount, OpenChange
from bot.deps import Deps, deps_of
from bot.errors import AlreadyPending, DraftRejected, NoLongerApplicable, SeatbotError
from bot.messages.change_modal import (
    CHANGE_CALLBACK,
    CONFIRM_ACTION,
    CONFIRM_BLOCK,
    JUSTIFICATION_BLOCK,
    PICKED_SEATS_ACTION,
    PRODUCT_BLOCK,
    SEATS_ACTION,
    TEXT_ACTION,
    change_modal,
    done_view,
    info_view,
    modal_errors,
)
from bot.messages.errors import error_reply
from bot.messages.reply import Reply
from bot.messages.requests import pending_exists
from bot.messages.summary import OPEN_CHANGE
from bot.permissions import APPROVERS
from bot.services.request_views import load_request_view, request_view
from bot.services.seat_changes import Mode, Submission, draft, pending_request_of, prefill, submit
from handlers.home import refresh_homes
from handlers.replies import action_value, tell
from storage import repositories as repo
from storage.engine import unit_of_work

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(OPEN_CHANGE)(open_from_button)
    app.action(SEATS_ACTION)(live_summary)
    app.view(CHANGE_CALLBACK)(submitted)


def open_modal(
    deps: Deps,
    client: WebClient,
    *,
    trigger_id: str,
    team_id: str,
    user_id: str,
    language: str,
    command: OpenChange | None = None,
) -> Reply | None:
    """Open the modal, or return what to tell the person instead (refusal, pending request…)."""
    try:
        with unit_of_work(deps.engine) as session:
            current = draft(session, team_id=team_id, user_id=user_id, submission=Submission(counts={}))
            if current.mode is Mode.REQUEST:
                pending = pending_request_of(session, account_id=current.actor.account_id, user_id=user_id)
                if pending is not None:
                    return pending_exists(
                        request_view(session, pending, current.actor.account.currency), language
                    )
            initial = prefill(
                current.products,
                product=command.product if command else None,
                amount=command.amount if command else None,
            )
            if initial:
                current = draft(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    submission=Submission(counts={k: str(v) for k, v in initial.items()}),
                )
            view = change_modal(current, language, initial=initial)
    except SeatbotError as error:
        return error_reply(error, language)
    client.views_open(trigger_id=trigger_id, view=view)
    return None


def open_from_button(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    deps = deps_of(context)
    user_id = body["user"]["id"]
    language = deps.users.language(user_id)
    refusal = open_modal(
        deps,
        client,
        trigger_id=body["trigger_id"],
        team_id=context.team_id or "",
        user_id=user_id,
        language=language,
        command=_prefill_of(action_value(body)),
    )
    if refusal is not None:
        tell(refusal, user_id=user_id, respond=respond, client=client)


def _prefill_of(value: str) -> OpenChange | None:
    """`prefill:support:+2` (alerts, "Request more seats") → the form opens with 2 more Support seats.

    Untrusted like any payload: a malformed value just opens the form unfilled.
    """
    kind, _, rest = value.partition(":")
    product, _, amount = rest.partition(":")
    if kind != "prefill" or not product or not amount.startswith("+") or not amount[1:].isdigit():
        return None
    more = min(int(amount[1:]), 1000)
    return OpenChange(product=product[:40], amount=Amount(relative=True, value=max(more, 1)))


def submission_from(values: Mapping[str, Any], *, with_text: bool = True) -> Submission:
    """Read the modal's state; a malformed (forged) state reads as empty fields."""
    counts: dict[str, str | None] = {}
    confirmed = None
    justification = ""
    for block_id, actions in values.items():
        if not isinstance(actions, dict):
            continue
        if block_id.startswith(PRODUCT_BLOCK):
            typed = actions.get(SEATS_ACTION) or actions.get(PICKED_SEATS_ACTION) or {}
            counts[block_id[len(PRODUCT_BLOCK) :]] = str(typed.get("value") or "")
        elif block_id.startswith(CONFIRM_BLOCK):
            selected = (actions.get(CONFIRM_ACTION) or {}).get("selected_options") or []
            confirmed = next((str(o.get("value")) for o in selected if isinstance(o, dict)), None)
        elif block_id == JUSTIFICATION_BLOCK and with_text:
            justification = str((actions.get(TEXT_ACTION) or {}).get("value") or "")
    return Submission(counts=counts, justification=justification, confirmed_token=confirmed)


def live_summary(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Every keystroke in a seat field redraws the summary (before → after, cost, warnings)."""
    ack()
    view = body.get("view") or {}
    deps = deps_of(context)
    user_id = body["user"]["id"]
    language = deps.users.language(user_id)
    try:
        with unit_of_work(deps.engine) as session:
            current = draft(
                session,
                team_id=context.team_id or "",
                user_id=user_id,
                submission=submission_from(view.get("state", {}).get("values", {})),
            )
            updated = change_modal(current, language)
    except SeatbotError:
        return  # the submission will explain; a preview has nothing to say
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":
            raise
        # A newer keystroke already redrew the modal; its own update follows.


def submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    deps = deps_of(context)
    user_id = body["user"]["id"]
    team_id = context.team_id or ""
    language = deps.users.language(user_id)
    view = body.get("view") or {}
    submission = submission_from(view.get("state", {}).get("values", {}))
    try:
        with unit_of_work(deps.engine, write=True) as session:
            result = submit(
                session, team_id=team_id, user_id=user_id, submission=submission, now=deps.clock()
            )
            shown = request_view(session, result.request, result.actor.account.currency)
            approvers = [
                u
                for u in repo.holders_of(session, account_id=result.actor.account_id, roles=APPROVERS)
                if u != user_id
            ]
    except DraftRejected as rejected:
        ack(
            response_action="errors", errors=modal_errors(rejected.problems, view.get("blocks", []), language)
        )
        return
    except NoLongerApplicable as moved:
        ack(response_action="errors", errors=modal_errors(moved.problems, view.get("blocks", []), language))
        return
    except AlreadyPending as pending:
        ack(response_action="update", view=info_view(_pending_reply(deps, pending, language), language))
        return
    except SeatbotError as error:
        ack(response_action="update", view=info_view(error_reply(error, language), language))
        return
    ack(response_action="update", view=done_view(result.mode, shown, approvers, language))
    logger.info(
        "change submitted team=%s user=%s request=%s mode=%s",
        team_id,
        user_id,
        result.request.id,
        result.mode.value,
    )
    deps.deliver()
    refresh_homes(deps, client, team_id=team_id, user_ids=[user_id, *approvers])


def _pending_reply(deps: Deps, pending: AlreadyPending, language: str) -> Reply:
    with unit_of_work(deps.engine) as session:
        shown = load_request_view(session, request_id=pending.request_id)
    assert shown is not None
    return pending_exists(shown, language)
