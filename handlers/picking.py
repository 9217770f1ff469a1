"""The change form of a large account: picking products, and typing in a picked product.

Both redraw the form from its state: the picked products (the picker's selection) decide
which seat inputs it shows, so this listener, not the plain live summary, answers them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import App

from bot.messages.change_modal import (
    PICK_ACTION,
    PICK_BLOCK,
    PICKED_SEATS_ACTION,
    PRODUCT_BLOCK,
    change_modal,
)
from bot.services.seat_changes import picked_draft
from bot.slack import inbound
from handlers.change_modal import redraw_preview, submission_from
from handlers.flow import Turn, on_action


def register(app: App) -> None:
    redraw = on_action("pick_products", _redraw_form, in_modal=True, quiet=True)
    app.action(PICK_ACTION)(redraw)
    app.action(PICKED_SEATS_ACTION)(redraw)


def picked_keys(view: inbound.ViewState, values: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """The picker's selection; until the person touches the picker, the products the form
    shows. A malformed (forged) state picks nothing."""
    if PICK_BLOCK not in values:
        ids = [str(b.get("block_id") or "") for b in view.blocks if b.get("type") == "input"]
        return [i[len(PRODUCT_BLOCK) :] for i in ids if i.startswith(PRODUCT_BLOCK)]
    options = values[PICK_BLOCK].get(PICK_ACTION, {}).get("selected_options")
    return [str(o.get("value")) for o in options or [] if isinstance(o, dict) and o.get("value")]


def _redraw_form(action: inbound.Action, turn: Turn) -> None:
    view = action.view
    assert view is not None  # `in_modal` listeners only see clicks inside a modal
    picked = picked_keys(view, view.values)
    submission = submission_from(view.values)

    def draw() -> dict[str, Any]:
        current = turn.read(picked_draft, submission=submission, picked=picked)
        return change_modal(current, turn.language, picked=picked)

    redraw_preview(turn, view, draw)
