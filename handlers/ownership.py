"""Transfer ownership: the owner picks the new owner, confirms in a second step that
names them, and the roles change in one transaction (the old owner becomes an admin);
both are told by DM.

Both steps are checked on the server: a forged step from anyone but the owner, or
naming someone who is not a person of the workspace, changes nothing.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.account_file import USER_ID
from bot.domain.errors import InvalidInput, SeatbotError
from bot.messages.errors import error_reply, internal_error_reply
from bot.messages.reply import Reply
from bot.messages.settings import (
    NEW_OWNER_ACTION,
    NEW_OWNER_BLOCK,
    OPEN_TRANSFER,
    TRANSFER_CALLBACK,
    TRANSFER_CONFIRM_CALLBACK,
    refusal_view,
    transfer_confirm_view,
    transfer_done_view,
    transfer_modal,
)
from bot.runtime.deps import deps_of
from bot.services.account_settings import check_transfer, settings_to_edit, transfer_ownership
from bot.slack import inbound
from bot.slack.setup_checks import check_people
from handlers.flow import Turn, admit, later_in_form, on_action, open_form, redraw_form

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(OPEN_TRANSFER)(on_action("open_transfer", _open_transfer))
    app.view(TRANSFER_CALLBACK)(chosen)
    app.view(TRANSFER_CONFIRM_CALLBACK)(confirmed)


def _open_transfer(action: inbound.Action, turn: Turn) -> None:
    turn.read(settings_to_edit)  # the owner only
    open_form(turn, action.trigger_id, transfer_modal(turn.language))


def chosen(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Step one sent: the confirmation naming the new owner, or why not (read-only)."""
    sent = inbound.submission(body)
    if sent is None:
        ack()
        return
    deps = deps_of(context)
    origin = sent.origin
    language = deps.people(origin.team_id).known_language(origin.user_id, locale=origin.locale)
    picked = (sent.view.values.get(NEW_OWNER_BLOCK) or {}).get(NEW_OWNER_ACTION) or {}
    new_owner = _user_id(picked.get("selected_user"))
    try:
        if new_owner is None:
            raise InvalidInput("not_a_person", user="?")
        deps.read(check_transfer, team_id=origin.team_id, user_id=origin.user_id, new_owner=new_owner)
    except InvalidInput as error:
        ack(response_action="errors", errors={NEW_OWNER_BLOCK: error_reply(error, language).text[:2000]})
        return
    except SeatbotError as error:
        ack(response_action="update", view=refusal_view(error_reply(error, language), language, setup=False))
        return
    ack(response_action="update", view=transfer_confirm_view(new_owner, language))


def confirmed(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    """Step two sent: the roles change, on the work queue, once the new owner is known to be a person."""
    sent = inbound.submission(body)
    if sent is None:
        ack()
        return
    deps = deps_of(context)
    origin, view = sent.origin, sent.view
    language = deps.people(origin.team_id).known_language(origin.user_id, locale=origin.locale)
    new_owner = _user_id(_metadata(view.private_metadata).get("new_owner"))

    def refuse(reply: Reply) -> None:
        ack(response_action="update", view=refusal_view(reply, language, setup=False))

    slot = admit(deps, client, ack=ack, origin=origin, response_url=None, name="transfer", busy=refuse)
    if slot is None:
        return
    try:
        if new_owner is None:
            raise InvalidInput("not_a_person", user="?")
        transfer = deps.read(
            check_transfer, team_id=origin.team_id, user_id=origin.user_id, new_owner=new_owner
        )
    except SeatbotError as error:
        slot.release()
        refuse(error_reply(error, language))
        return
    except BaseException:
        slot.release()
        raise
    if not transfer.done:  # a replay: it is done already
        slot.release()
        ack(response_action="update", view=transfer_done_view(transfer.new_owner, language))
        return
    owner = new_owner

    def write(turn: Turn) -> None:
        try:
            check_people(turn.deps.people(turn.team_id), [owner])
            turn.write(transfer_ownership, new_owner=owner)
        except SeatbotError as error:
            redraw_form(
                turn, view.id, refusal_view(error_reply(error, turn.language), turn.language, setup=False)
            )
            return
        except Exception:
            logger.exception("transfer failed team=%s user=%s", turn.team_id, turn.user_id)
            failed = refusal_view(internal_error_reply(turn.language), turn.language, setup=False)
            turn.after_commit("failure view", lambda: redraw_form(turn, view.id, failed))
            return
        logger.info("ownership transferred team=%s from=%s to=%s", turn.team_id, turn.user_id, owner)
        done = transfer_done_view(owner, turn.language)
        turn.after_commit("done view", lambda: redraw_form(turn, view.id, done))
        turn.delivered_and_refreshed([turn.user_id, owner])

    later_in_form(
        deps, client, ack=ack, origin=origin, name="transfer", work=write, slot=slot, language=language
    )


def _user_id(value: object) -> str | None:
    return value if isinstance(value, str) and USER_ID.match(value) else None


def _metadata(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
