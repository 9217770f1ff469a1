"""The settings form: setting seatbot up in a workspace with no account, and the owner's
"Edit settings" in App Home.

A submission is read into the account file's sections and checked by its schema
before the ack (read-only), so a mistake is shown next to its field and nothing
changes; then it is acked with a "working" view, and on the work queue what only
Slack can say is checked (may this person set up? are the people picked people?)
before one transaction applies it, audited. The form is then redrawn with what
happened.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.domain.account_form import SettingsForm
from bot.domain.errors import SeatbotError, SettingsRejected, SetUpNotAllowed
from bot.messages.errors import error_reply, internal_error_reply
from bot.messages.reply import Reply
from bot.messages.settings import (
    OPEN_SETTINGS,
    OPEN_SETUP,
    channel_note,
    refusal_view,
    settings_done_view,
    setup_done_view,
)
from bot.messages.settings_form import (
    ADD_PRODUCT,
    SETTINGS_CALLBACK,
    SETUP_CALLBACK,
    FormLayout,
    form_errors,
    settings_form,
)
from bot.messages.summary import summary_reply
from bot.runtime.deps import Deps, deps_of
from bot.services.account_settings import check_settings, save_settings, settings_to_edit
from bot.services.account_setup import check_setup, require_no_account, set_up_account
from bot.services.summary import subscription_summary
from bot.slack import inbound
from bot.slack.settings_state import settings_form_of
from bot.slack.setup_checks import check_people, may_set_up, reach_channel
from handlers.change_modal import redraw_preview
from handlers.flow import Turn, admit, answered_early, later_in_form, on_action, open_form, redraw_form

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(OPEN_SETUP)(on_action("open_setup", _open_setup))
    app.action(OPEN_SETTINGS)(on_action("open_settings", _open_settings))
    app.action(ADD_PRODUCT)(on_action("add_product", _add_product, in_modal=True))
    app.view(SETUP_CALLBACK)(submitted)
    app.view(SETTINGS_CALLBACK)(submitted)


def _open_setup(action: inbound.Action, turn: Turn) -> None:
    _require_set_up_rights(turn)
    turn.read(require_no_account)
    open_form(turn, action.trigger_id, settings_form(turn.language, current=None))


def _open_settings(action: inbound.Action, turn: Turn) -> None:
    current = turn.read(settings_to_edit)
    open_form(turn, action.trigger_id, settings_form(turn.language, current=current))


def _add_product(action: inbound.Action, turn: Turn) -> None:
    """One more product row; what was typed stays (Slack keeps inputs an update keeps)."""
    view = action.view
    assert view is not None  # `in_modal` listeners only see clicks inside a modal
    layout = FormLayout.of(view.private_metadata).with_another_row()
    current = None if view.callback_id == SETUP_CALLBACK else turn.read(settings_to_edit)
    redraw_preview(turn, view, lambda: settings_form(turn.language, current=current, layout=layout))


def _require_set_up_rights(turn: Turn) -> None:
    installer = turn.deps.workspaces.installer(turn.team_id)
    if not may_set_up(turn.deps.people(turn.team_id), installer=installer, user_id=turn.user_id):
        raise SetUpNotAllowed(installer)


def submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    sent = inbound.submission(body)
    if sent is None:
        ack()
        return
    deps = deps_of(context)
    origin, view = sent.origin, sent.view
    setup = view.callback_id == SETUP_CALLBACK
    language = deps.people(origin.team_id).known_language(origin.user_id, locale=origin.locale)
    form = settings_form_of(view)

    def busy(reply: Reply) -> None:
        ack(response_action="update", view=refusal_view(reply, language, setup=setup))

    slot = admit(deps, client, ack=ack, origin=origin, response_url=None, name="settings", busy=busy)
    if slot is None:
        return
    if answered_early(
        slot, ack, lambda: _answer_before_work(deps, sent, form, setup=setup, language=language)
    ):
        return

    def write(turn: Turn) -> None:
        try:
            if setup:
                _require_set_up_rights(turn)
            check_people(turn.deps.people(turn.team_id), _people_of(form))
            done = _apply(turn, form, setup=setup)
        except SeatbotError as error:
            redraw_form(
                turn, view.id, refusal_view(error_reply(error, turn.language), turn.language, setup=setup)
            )
            return
        except Exception:
            logger.exception("settings failed team=%s user=%s", turn.team_id, turn.user_id)
            failed = refusal_view(internal_error_reply(turn.language), turn.language, setup=setup)
            turn.after_commit("failure view", lambda: redraw_form(turn, view.id, failed))
            return
        turn.after_commit("done view", lambda: redraw_form(turn, view.id, done))
        turn.delivered_and_refreshed([turn.user_id, *_people_of(form)])

    later_in_form(
        deps, client, ack=ack, origin=origin, name="settings", work=write, slot=slot, language=language
    )


def _answer_before_work(
    deps: Deps, sent: inbound.Submission, form: SettingsForm, *, setup: bool, language: str
) -> dict[str, Any] | None:
    """The ack that settles a submission without work: mistakes next to their fields, a
    refusal, or (a replayed set-up) what it did. Read-only. None: it goes ahead."""
    origin, view = sent.origin, sent.view
    who = {"team_id": origin.team_id, "user_id": origin.user_id}
    try:
        if setup and deps.read(check_setup, **who, form=form) is None:
            summary = summary_reply(deps.read(subscription_summary, **who), language)
            return {"response_action": "update", "view": setup_done_view(summary, [], language)}
        if not setup:
            deps.read(check_settings, **who, form=form)
    except SettingsRejected as rejected:
        keys = [p.get("key") for p in form.products or []]
        return {
            "response_action": "errors",
            "errors": form_errors(rejected.problems, view.blocks, keys, language),
        }
    except SeatbotError as error:
        return {
            "response_action": "update",
            "view": refusal_view(error_reply(error, language), language, setup=setup),
        }
    return None


def _apply(turn: Turn, form: SettingsForm, *, setup: bool) -> dict[str, Any]:
    """Write the form, then make sure seatbot can post in the alerts channel; the view to show."""
    if setup:
        created = turn.write(set_up_account, form=form)
        changed = created
    else:
        changed = bool(turn.write(save_settings, form=form).changes)
    logger.info(
        "settings saved team=%s user=%s setup=%s changed=%s", turn.team_id, turn.user_id, setup, changed
    )
    notes = []
    channel = form.account.get("alerts_channel")
    if isinstance(channel, str):
        note = channel_note(reach_channel(turn.client, channel).value, channel, turn.language)
        notes += [note] if note else []
    if setup:
        return setup_done_view(
            summary_reply(turn.read(subscription_summary), turn.language), notes, turn.language
        )
    return settings_done_view(changed=changed, notes=notes, language=turn.language)


def _people_of(form: SettingsForm) -> list[str]:
    """Everyone the form gives a role (or the sales contact's place) to."""
    contact = form.account.get("sales_contact")
    people = [u for role in form.roles.values() if isinstance(role, list) for u in role if isinstance(u, str)]
    return [*people, *([contact] if isinstance(contact, str) and contact[:1] in ("U", "W") else [])]
