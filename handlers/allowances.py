"""The owner's standing allowances form, opened from App Home's Settings.

Checked by the account file's schema before the ack (mistakes next to their
field, nothing changed), then saved on the work queue in one audited
transaction, and the form redrawn with what happened.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.errors import SeatbotError, SettingsRejected
from bot.messages.allowance_form import (
    ALLOWANCES_CALLBACK,
    COST,
    OPEN_ALLOWANCES,
    SEATS,
    VALUE,
    allowances_errors,
    allowances_form,
    block_of,
)
from bot.messages.change_modal import info_view
from bot.messages.errors import error_reply
from bot.messages.i18n import texts
from bot.messages.reply import Reply, section
from bot.runtime.deps import deps_of
from bot.services.allowance_settings import Allowances, allowances_to_edit, check_allowances, save_allowances
from bot.slack import inbound
from handlers.flow import Turn, admit, answered_early, later_in_form, on_action, open_form, redraw_form

logger = logging.getLogger(__name__)

_WHOLE = re.compile(r"^\s*\d{1,9}\s*$")


def register(app: App) -> None:
    app.action(OPEN_ALLOWANCES)(on_action("open_allowances", _open_form))
    app.view(ALLOWANCES_CALLBACK)(submitted)


def _open_form(action: inbound.Action, turn: Turn) -> None:
    current = turn.read(allowances_to_edit)
    open_form(turn, action.trigger_id, allowances_form(current, turn.language))


def allowances_of(view: inbound.ViewState) -> tuple[list[str], Allowances]:
    """The keys the form showed (untrusted: the service ignores unknown ones) and, per key,
    the allowance as typed (None when both fields are empty)."""
    try:
        meta = json.loads(view.private_metadata or "{}")
    except ValueError:
        meta = {}
    keys = [k for k in meta.get("keys", []) if isinstance(k, str)][:100] if isinstance(meta, dict) else []
    wanted: dict[str, dict[str, Any] | None] = {}
    for key in keys:
        seats = _typed(view, block_of(key, SEATS))
        cost = _typed(view, block_of(key, COST))
        if seats is None and cost is None:
            wanted[key] = None
            continue
        allowance: dict[str, Any] = {}
        if seats is not None:
            allowance["seats_per_month"] = int(seats) if _WHOLE.match(seats) else seats
        if cost is not None:
            allowance["cost_per_month"] = cost
        wanted[key] = allowance
    return keys, wanted


def _typed(view: inbound.ViewState, block_id: str) -> str | None:
    value = ((view.values.get(block_id) or {}).get(VALUE) or {}).get("value")
    return value.strip() or None if isinstance(value, str) else None


def submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    sent = inbound.submission(body)
    if sent is None:
        ack()
        return
    deps = deps_of(context)
    origin, view = sent.origin, sent.view
    language = deps.people(origin.team_id).known_language(origin.user_id, locale=origin.locale)
    keys, allowances = allowances_of(view)
    slot = admit(deps, client, ack=ack, origin=origin, response_url=None, name="allowances")
    if slot is None:
        return

    def checked() -> dict[str, Any] | None:
        try:
            deps.read(check_allowances, team_id=origin.team_id, user_id=origin.user_id, allowances=allowances)
        except SettingsRejected as rejected:
            return {
                "response_action": "errors",
                "errors": allowances_errors(rejected.problems, keys, language),
            }
        except SeatbotError as error:
            return {"response_action": "update", "view": info_view(error_reply(error, language), language)}
        return None

    if answered_early(slot, ack, checked):
        return

    def write(turn: Turn) -> None:
        try:
            changed = bool(turn.write(save_allowances, allowances=allowances).changes)
        except SeatbotError as error:
            redraw_form(turn, view.id, info_view(error_reply(error, turn.language), turn.language))
            return
        logger.info("allowances saved team=%s user=%s changed=%s", turn.team_id, turn.user_id, changed)
        words = texts("allowances", turn.language)("form_saved" if changed else "form_unchanged")
        done = info_view(Reply(text=words, blocks=[section(words)]), turn.language)
        turn.after_commit("done view", lambda: redraw_form(turn, view.id, done))
        turn.delivered_and_refreshed([turn.user_id])

    later_in_form(
        deps, client, ack=ack, origin=origin, name="allowances", work=write, slot=slot, language=language
    )
