"""`/seats assign` and `/seats unassign`, and the one-click "Buy N more seats"."""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.domain.commands import Assign, Reclaim
from bot.messages.i18n import texts
from bot.messages.reclaim import RECLAIM_SEAT, parse_reclaim_value, reclaim_reply
from bot.messages.reply import Reply, section
from bot.messages.seats import BUY_SEATS, assignment_reply, buy_reply, parse_buy_value, unassigned_reply
from bot.services.assignments import assign, unassign
from bot.services.buying import buy_seats, log_outcome
from bot.services.reclaim import freeable_seats
from bot.slack import inbound
from bot.slack.users import Profile
from handlers.flow import Turn, on_action

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(BUY_SEATS)(on_action("buy", _buy))
    app.action(RECLAIM_SEAT)(on_action("reclaim_seat", _reclaim_seat))


def _say(block: str, language: str, **facts: object) -> Reply:
    text = texts("seats", language)(block, **facts)
    return Reply(text=text, blocks=[section(text)])


def resolve_person(turn: Turn, command: Assign) -> Profile | Reply:
    """The Slack user the command names, or what to say if it names nobody (or several).

    Whether they may hold a seat (not a bot, not deactivated) is the seat ledger's rule.
    """
    assert command.user is not None
    users, language = turn.deps.people(turn.team_id), turn.language
    if command.user_is_id:
        profile = users.profile(command.user)
        matches = [profile] if profile else []
    else:
        matches = users.find(command.user)
    if not matches:
        return _say("not_a_user", language, text=command.user[:40])
    if len(matches) > 1:
        return _say("ambiguous_user", language, text=command.user[:40])
    return matches[0]


def run_assign(turn: Turn, *, command: Assign) -> None:
    if command.user is None or command.product is None:
        turn.tell(_say("assign_usage", turn.language))
        return
    found = resolve_person(turn, command)
    if isinstance(found, Reply):
        turn.tell(found)
        return
    person, product_text = found.user_id, command.product
    use_case = unassign if command.remove else assign
    result = turn.write(use_case, target=found.person, product_text=product_text)
    logger.info(
        "seat %s team=%s by=%s user=%s product=%s outcome=%s",
        "unassign" if command.remove else "assign",
        turn.team_id,
        turn.user_id,
        person,
        result.product.key,
        result.outcome.value,
    )
    if command.remove:
        reply = unassigned_reply(result, target=person, language=turn.language)
    else:
        reply = assignment_reply(result, target=person, language=turn.language, currency=result.currency)
    turn.after_commit("answer", lambda: turn.tell(reply))
    turn.delivered_and_refreshed([turn.user_id])


def run_reclaim(turn: Turn, *, command: Reclaim) -> None:
    """List the seats that could be freed; who Slack has deactivated comes from Slack, and is
    recorded for the approval cards and alerts."""
    people = turn.deps.people(turn.team_id).everyone()
    # An empty directory is one seatbot could not read (Slack's holds seatbot itself at least).
    deactivated = frozenset(p.user_id for p in people if p.deleted) if people else None
    found = turn.write(freeable_seats, deactivated=deactivated, product_text=command.product)
    turn.tell(reclaim_reply(found, turn.language))


def _reclaim_seat(action: inbound.Action, turn: Turn) -> None:
    """Unassign from the list (the person confirmed in Slack's dialog first); the agent is told."""
    picked = parse_reclaim_value(action.value)
    if picked is None:
        return
    product, user = picked
    run_assign(turn, command=Assign(user=user, user_is_id=True, product=product, remove=True))


def _buy(action: inbound.Action, turn: Turn) -> None:
    # The button's value is untrusted: its shape here, the offer itself in the service.
    offer = parse_buy_value(action.value)
    result = turn.write(buy_seats, offer=offer)
    log_outcome(result, team_id=turn.team_id, user_id=turn.user_id)
    reply = buy_reply(result, clicked=offer, language=turn.language, currency=result.currency)
    turn.after_commit("answer", lambda: turn.tell(reply))
    turn.delivered_and_refreshed([turn.user_id])
