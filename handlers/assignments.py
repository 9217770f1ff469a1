"""`/seats assign` and `/seats unassign`, and the one-click "Buy N more seats"."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.commands import Assign
from bot.deps import Deps, deps_of
from bot.errors import SeatbotError
from bot.messages.errors import error_reply
from bot.messages.i18n import texts
from bot.messages.reply import Reply, section
from bot.messages.seats import BUY_SEATS, assignment_reply, buy_reply, parse_buy_value, unassigned_reply
from bot.services.assignments import assign, unassign
from bot.services.buying import buy_seats, log_outcome
from bot.slack.users import Profile
from handlers.home import refresh_homes
from handlers.replies import action_value, tell
from storage import repositories as repo
from storage.engine import unit_of_work

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(BUY_SEATS)(buy_clicked)


def _say(block: str, language: str, **facts: object) -> Reply:
    text = texts("seats", language)(block, **facts)
    return Reply(text=text, blocks=[section(text)])


def resolve_person(deps: Deps, command: Assign, language: str) -> Profile | Reply:
    """The Slack user the command names, or what to say if it names nobody who can hold a seat."""
    assert command.user is not None
    if command.user_is_id:
        profile = deps.users.profile(command.user)
        matches = [profile] if profile else []
    else:
        matches = deps.users.find(command.user)
    if not matches:
        return _say("not_a_user", language, text=command.user[:40])
    if len(matches) > 1:
        return _say("ambiguous_user", language, text=command.user[:40])
    person = matches[0]
    if not command.remove:  # a departed person's seat must still be freeable
        if person.is_bot:
            return _say("is_bot", language, user=person.user_id)
        if person.deleted:
            return _say("deactivated", language, user=person.user_id)
    return person


def run_assign(
    deps: Deps, client: WebClient, *, team_id: str, user_id: str, command: Assign, language: str
) -> Reply:
    if command.user is None or command.product is None:
        return _say("assign_usage", language)
    found = resolve_person(deps, command, language)
    if isinstance(found, Reply):
        return found
    person = found.user_id
    try:
        with unit_of_work(deps.engine, write=True) as session:
            if command.remove:  # a deactivated account can't read a DM: don't send one
                result = unassign(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    target=person,
                    product_text=command.product,
                    now=deps.clock(),
                    notify=not found.deleted,
                )
            else:
                result = assign(
                    session,
                    team_id=team_id,
                    user_id=user_id,
                    target=person,
                    product_text=command.product,
                    now=deps.clock(),
                )
            account = repo.account_by_team(session, team_id=team_id)
            currency = account.currency if account else "EUR"
    except SeatbotError as error:
        return error_reply(error, language)
    logger.info(
        "seat %s team=%s by=%s user=%s product=%s outcome=%s",
        "unassign" if command.remove else "assign",
        team_id,
        user_id,
        person,
        result.product.key,
        result.outcome.value,
    )
    deps.deliver()
    refresh_homes(deps, client, team_id=team_id, user_ids=[user_id])
    if command.remove:
        return unassigned_reply(result, target=person, language=language)
    return assignment_reply(result, target=person, language=language, currency=currency)


def buy_clicked(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    ack()
    deps = deps_of(context)
    user_id = body["user"]["id"]
    team_id = context.team_id or ""
    language = deps.users.language(user_id)
    try:
        # The button's value is untrusted: its shape here, the offer itself in the service.
        offer = parse_buy_value(action_value(body))
        with unit_of_work(deps.engine, write=True) as session:
            result = buy_seats(session, team_id=team_id, user_id=user_id, offer=offer, now=deps.clock())
    except SeatbotError as error:
        tell(error_reply(error, language), user_id=user_id, respond=respond, client=client)
        return
    log_outcome(result, team_id=team_id, user_id=user_id)
    deps.deliver()
    reply = buy_reply(result, clicked=offer, language=language, currency=result.currency)
    tell(reply, user_id=user_id, respond=respond, client=client)
    refresh_homes(deps, client, team_id=team_id, user_ids=[user_id])
