"""The change form of a large account: picking products, and typing in a picked product.

Both redraw the form from its state: the picked products (the picker's selection) decide
which seat inputs it shows, so this listener, not the plain live summary, answers them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import deps_of
from bot.errors import SeatbotError
from bot.messages.change_modal import (
    PICK_ACTION,
    PICK_BLOCK,
    PICKED_SEATS_ACTION,
    PRODUCT_BLOCK,
    change_modal,
    with_suites,
)
from bot.services.seat_changes import draft
from handlers.change_modal import submission_from
from storage.engine import unit_of_work


def register(app: App) -> None:
    app.action(PICK_ACTION)(redraw)
    app.action(PICKED_SEATS_ACTION)(redraw)


def picked_keys(view: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """The picker's selection; until the person touches the picker, the products the form
    shows. A malformed (forged) state picks nothing."""
    if PICK_BLOCK not in values:
        blocks = view.get("blocks") or []
        ids = [
            str(b.get("block_id") or "") for b in blocks if isinstance(b, dict) and b.get("type") == "input"
        ]
        return [i[len(PRODUCT_BLOCK) :] for i in ids if i.startswith(PRODUCT_BLOCK)]
    entry = values.get(PICK_BLOCK)
    chosen = (entry.get(PICK_ACTION) or {}) if isinstance(entry, dict) else {}
    options = chosen.get("selected_options") if isinstance(chosen, dict) else None
    return [str(o.get("value")) for o in options or [] if isinstance(o, dict) and o.get("value")]


def redraw(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    view = body.get("view") or {}
    values = (view.get("state") or {}).get("values") or {}
    deps = deps_of(context)
    user_id = body["user"]["id"]
    language = deps.users.language(user_id)
    picked = picked_keys(view, values)
    submission = submission_from(values)
    try:
        with unit_of_work(deps.engine) as session:
            current = draft(session, team_id=context.team_id or "", user_id=user_id, submission=submission)
            # A product taken out of the picker drops its typed value with it.
            kept = set(with_suites(current.products, picked))
            counts = {k: v for k, v in submission.counts.items() if k in kept}
            if counts != dict(submission.counts):
                current = draft(
                    session,
                    team_id=context.team_id or "",
                    user_id=user_id,
                    submission=replace(submission, counts=counts),
                )
            updated = change_modal(current, language, picked=picked)
    except SeatbotError:
        return  # the submission will explain; a preview has nothing to say
    try:
        client.views_update(view_id=view["id"], hash=view.get("hash"), view=updated)
    except SlackApiError as exc:
        if exc.response.get("error") != "hash_conflict":
            raise
        # A newer pick or keystroke already redrew the form; its own update follows.
