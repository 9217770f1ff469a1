"""The change modal: opening it, its live summary, and its submission.

A submission is checked before the ack with read-only queries (so a mistake
is shown next to its field), acked with a "working" view, then written on
the work queue; the modal is then redrawn with what happened.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.commands import Amount, OpenChange
from bot.domain.errors import AlreadyPending, DraftRejected, NoLongerApplicable, SeatbotError
from bot.messages.allowances import approved_within_allowance_text
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
from bot.messages.errors import error_reply, internal_error_reply
from bot.messages.reply import Reply, section
from bot.messages.requests import AMEND, simple
from bot.messages.summary import OPEN_CHANGE
from bot.runtime.deps import Deps, deps_of
from bot.services.amending import amend, amend_form, check_amendment
from bot.services.seat_changes import Submission, modal_for, precheck, submit_and_show
from bot.slack import inbound
from handlers.flow import (
    UNAVAILABLE_VIEW,
    Turn,
    admit,
    answered_early,
    later_in_form,
    on_action,
    open_form,
    redraw_form,
)

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(OPEN_CHANGE)(on_action("open_change", _open_from_button))
    app.action(SEATS_ACTION)(on_action("live_summary", _live_summary, in_modal=True, quiet=True))
    app.view(CHANGE_CALLBACK)(submitted)
    app.action(AMEND)(on_action("amend_form", _amend_from_button))


def open_modal(turn: Turn, *, trigger_id: str | None, command: OpenChange | None = None) -> None:
    """Open the modal, or tell the person why not (refusal, a pending request…)."""
    wanted = {"product": command.product if command else None, "amount": command.amount if command else None}
    try:
        shown = turn.read(modal_for, **wanted, now=turn.deps.clock())
        view = change_modal(shown, turn.language, initial=shown.initial)
    except AlreadyPending:
        # One pending request per person: asking again amends it instead of failing.
        amending = turn.read(amend_form, **wanted, now=turn.deps.clock())
        view = change_modal(
            amending.draft,
            turn.language,
            initial=amending.draft.initial,
            amending=amending.request_id,
            justification=amending.justification,
        )
    open_form(turn, trigger_id, view)


def _amend_from_button(action: inbound.Action, turn: Turn) -> None:
    """Amend from the pending request's message or App Home (the request itself is the person's
    one pending request: the button's value is not trusted to name another)."""
    open_modal(turn, trigger_id=action.trigger_id, command=OpenChange())


def _open_from_button(action: inbound.Action, turn: Turn) -> None:
    open_modal(turn, trigger_id=action.trigger_id, command=_prefill_of(action.value))


def _prefill_of(value: str) -> OpenChange | None:
    """`prefill:support:+2` (alerts, "Request more seats") → the form opens with 2 more Support seats.

    Untrusted like any payload: a malformed value just opens the form unfilled.
    """
    kind, _, rest = value.partition(":")
    product, _, amount = rest.partition(":")
    digits = amount[1:]
    if (
        kind != "prefill"
        or not product
        or not amount.startswith("+")
        or not (digits.isascii() and digits.isdigit())
    ):
        return None
    more = min(int(digits[:6]), 1000)
    return OpenChange(product=product[:40], amount=Amount(relative=True, value=max(more, 1)))


def submission_from(
    values: Mapping[str, Mapping[str, Mapping[str, Any]]], *, with_text: bool = True
) -> Submission:
    """Read the modal's state (already checked to be mappings); odd values read as empty fields."""
    counts: dict[str, str | None] = {}
    confirmed = None
    justification = ""
    for block_id, actions in values.items():
        if block_id.startswith(PRODUCT_BLOCK):
            typed = actions.get(SEATS_ACTION) or actions.get(PICKED_SEATS_ACTION) or {}
            value = typed.get("value")
            counts[block_id[len(PRODUCT_BLOCK) :]] = value if isinstance(value, str) else ""
        elif block_id.startswith(CONFIRM_BLOCK):
            selected = (actions.get(CONFIRM_ACTION) or {}).get("selected_options")
            options = selected if isinstance(selected, list) else []
            confirmed = next((str(o.get("value")) for o in options if isinstance(o, dict)), None)
        elif block_id == JUSTIFICATION_BLOCK and with_text:
            text = (actions.get(TEXT_ACTION) or {}).get("value")
            justification = text if isinstance(text, str) else ""
    return Submission(counts=counts, justification=justification, confirmed_token=confirmed)


def redraw_preview(turn: Turn, view: inbound.ViewState, draw: Callable[[], dict[str, Any]]) -> None:
    """Redraw a form in progress from what `draw` builds (the live summary, the picker)."""
    try:
        updated = draw()
    except SeatbotError:
        return  # the submission will explain; a preview has nothing to say
    try:
        turn.client.views_update(view_id=view.id, hash=view.hash, view=updated)
    except SlackApiError as exc:
        # hash_conflict: a newer keystroke already redrew it. Gone: the person closed it.
        if exc.response.get("error") not in UNAVAILABLE_VIEW | {"hash_conflict"}:
            raise


def _live_summary(action: inbound.Action, turn: Turn) -> None:
    """Every keystroke in a seat field redraws the summary (before → after, cost, warnings)."""
    view = action.view
    assert view is not None  # `in_modal` listeners only see clicks inside a modal

    def draw() -> dict[str, Any]:
        return change_modal(
            turn.read(modal_for, submission=submission_from(view.values), now=turn.deps.clock()),
            turn.language,
            amending=amending_of(view.private_metadata),
        )

    redraw_preview(turn, view, draw)


def submitted(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    sent = inbound.submission(body)
    if sent is None:
        ack()
        return
    deps = deps_of(context)
    origin, view = sent.origin, sent.view
    language = deps.people(origin.team_id).known_language(origin.user_id, locale=origin.locale)
    submission = submission_from(view.values)
    key = f"view:{view.id}"
    if amending_of(view.private_metadata) is not None:
        _amendment_submitted(ack, deps, client, sent, submission, language)
        return

    def busy(reply: Any) -> None:
        block = (
            JUSTIFICATION_BLOCK
            if any(b.get("block_id") == JUSTIFICATION_BLOCK for b in view.blocks)
            else None
        )
        if block is None:
            ack(response_action="update", view=info_view(reply, language))
        else:
            ack(response_action="errors", errors={block: reply.text[:2000]})

    # The place in line comes first: an overloaded seatbot refuses before checking anything.
    slot = admit(deps, client, ack=ack, origin=origin, response_url=None, name="submit_change", busy=busy)
    if slot is None:
        return
    if answered_early(slot, ack, lambda: _answer_before_work(deps, sent, submission, key, language)):
        return

    def write(turn: Turn) -> None:
        try:
            shown = turn.write(submit_and_show, submission=submission, idempotency_key=key)
        except (DraftRejected, NoLongerApplicable, AlreadyPending) as error:
            # Lost a race since the check: say so where the person is looking.
            redraw_form(turn, view.id, info_view(error_reply(error, turn.language), turn.language))
            return
        except Exception:
            # Nothing was written; the modal must not stay on "working" forever.
            logger.exception("submission failed team=%s user=%s", turn.team_id, turn.user_id)
            failed = info_view(internal_error_reply(turn.language), turn.language)
            turn.after_commit("failure view", lambda: redraw_form(turn, view.id, failed))
            return
        logger.info(
            "change submitted team=%s user=%s request=%s mode=%s",
            turn.team_id,
            turn.user_id,
            shown.request.id,
            shown.mode.value,
        )
        done = done_view(shown.mode, shown.request, shown.approvers, turn.language)
        turn.after_commit("done view", lambda: redraw_form(turn, view.id, done))
        turn.delivered_and_refreshed([turn.user_id, *shown.approvers])

    later_in_form(
        deps, client, ack=ack, origin=origin, name="submit_change", work=write, slot=slot, language=language
    )


def _answer_before_work(
    deps: Deps, sent: inbound.Submission, submission: Submission, key: str, language: str
) -> dict[str, Any] | None:
    """The ack that settles a submission without work: a replay's result, a mistake next
    to its field, or a refusal. Read-only. None: it goes ahead."""
    origin, view = sent.origin, sent.view
    try:
        replay = deps.read(
            precheck, team_id=origin.team_id, user_id=origin.user_id, submission=submission, key=key
        )
    except (DraftRejected, NoLongerApplicable) as rejected:
        return {"response_action": "errors", "errors": modal_errors(rejected.problems, view.blocks, language)}
    except SeatbotError as error:
        return {"response_action": "update", "view": info_view(error_reply(error, language), language)}
    if replay is None:
        return None
    shown = done_view(replay.mode, replay.request, replay.approvers, language)
    return {"response_action": "update", "view": shown}


def amending_of(metadata: str) -> int | None:
    """The request a form amends, from its metadata (untrusted: `amend` only ever amends the
    person's own pending request, whatever this says)."""
    try:
        data = json.loads(metadata or "{}")
    except ValueError:
        return None
    value = data.get("amend") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _amendment_submitted(
    ack: Ack, deps: Deps, client: WebClient, sent: inbound.Submission, submission: Submission, language: str
) -> None:
    """Checked before the ack (mistakes next to their field), amended on the work queue."""
    origin, view = sent.origin, sent.view
    slot = admit(deps, client, ack=ack, origin=origin, response_url=None, name="amend")
    if slot is None:
        return

    def checked() -> dict[str, Any] | None:
        try:
            deps.read(check_amendment, team_id=origin.team_id, user_id=origin.user_id, submission=submission)
        except DraftRejected as rejected:
            return {
                "response_action": "errors",
                "errors": modal_errors(rejected.problems, view.blocks, language),
            }
        except SeatbotError as error:
            return {"response_action": "update", "view": info_view(error_reply(error, language), language)}
        return None

    if answered_early(slot, ack, checked):
        return

    def write(turn: Turn) -> None:
        try:
            done = turn.write(amend, submission=submission)
        except (DraftRejected, NoLongerApplicable, SeatbotError) as error:
            redraw_form(turn, view.id, info_view(error_reply(error, turn.language), turn.language))
            return
        request_id = done.request.id or 0
        logger.info("request amended team=%s request=%s changed=%s", turn.team_id, request_id, done.changed)
        if done.allowance is not None:
            words = approved_within_allowance_text(request_id, turn.language)
        else:
            words = simple(
                "amended_done" if done.changed else "amended_same", turn.language, id=request_id
            ).text
        shown = info_view(Reply(text=words, blocks=[section(words)]), turn.language)
        turn.after_commit("done view", lambda: redraw_form(turn, view.id, shown))
        turn.delivered_and_refreshed([turn.user_id, *done.approvers])

    later_in_form(
        deps, client, ack=ack, origin=origin, name="amend", work=write, slot=slot, language=language
    )
