"""The change modal (views.open / views.update) and the decline modal."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig
from slack_sdk.models.views import View

from bot.errors import Problem
from bot.messages.i18n import people, texts
from bot.messages.reply import Reply, context, divider, section
from bot.messages.requests import change_lines
from bot.services.drafts import ChangePreview
from bot.services.request_views import RequestView
from bot.services.seat_changes import Draft, Mode
from storage.models import MAX_SEATS

CHANGE_CALLBACK = "change_seats"
DECLINE_CALLBACK = "decline_reason"
WORKING_CALLBACK = "working"
"""The view a sent form shows until what it did is known."""
SEATS_ACTION = "seats"
PRODUCT_BLOCK = "seats:"
JUSTIFICATION_BLOCK = "justification"
TEXT_ACTION = "text"
CONFIRM_BLOCK = "confirm_downgrade:"
CONFIRM_ACTION = "confirm"
SUMMARY_BLOCK = "live_summary"
REASON_BLOCK = "reason"


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text, emoji=True)


def change_modal(draft: Draft, language: str, *, initial: Mapping[str, int] | None = None) -> dict[str, Any]:
    """The modal for `draft`; `initial` pre-fills products (from `/seats request support +5`)."""
    t = texts("change_modal", language)
    direct = draft.mode is not Mode.REQUEST
    blocks: list[Block] = [section(t(f"intro_{draft.mode.value}"))]
    for product in draft.products:
        value = (initial or {}).get(product.key, product.seats)
        blocks.append(
            InputBlock(
                block_id=f"{PRODUCT_BLOCK}{product.key}",
                label=_plain(t.plain("product_label", product=product)[:2000]),
                hint=_plain(
                    t.plain("product_hint", product=product, used=draft.used.get(product.id or 0, 0))
                ),
                element=NumberInputElement(
                    action_id=SEATS_ACTION,
                    is_decimal_allowed=False,
                    initial_value=str(value),
                    min_value="0",
                    max_value=str(MAX_SEATS),
                    dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_character_entered"]),
                ),
                dispatch_action=True,
                # Required: Slack keeps a cleared field from being submitted; a count is always set.
            )
        )
    blocks.append(
        InputBlock(
            block_id=JUSTIFICATION_BLOCK,
            label=_plain(t.plain("justification_label")),
            hint=_plain(t.plain("justification_hint_direct" if direct else "justification_hint_request")),
            element=PlainTextInputElement(action_id=TEXT_ACTION, multiline=True, max_length=3000),
            optional=direct,
        )
    )
    blocks += [divider(), *summary_blocks(draft.change, language)]
    blocks.append(context(t("billing_note")))
    title = "title_manage" if direct else "title_request"
    view = View(
        type="modal",
        callback_id=CHANGE_CALLBACK,
        title=_plain(t.plain(title)[:24]),
        submit=_plain(t.plain(f"submit_{draft.mode.value}")[:24]),
        close=_plain(t.plain("close")[:24]),
        blocks=blocks,
        private_metadata=json.dumps({"mode": draft.mode.value}),
    )
    return view.to_dict()


def summary_blocks(change: ChangePreview, language: str) -> list[Block]:
    """The live summary, and the confirmation a seat removal needs."""
    t = texts("change_modal", language)
    lines = [t("summary_title")]
    if not change.lines:
        lines.append(t("summary_empty"))
    if change.lines:
        lines.append(change_lines(change.lines, language))
    if change.cost_delta is not None and change.lines:
        lines.append(t("summary_cost", amount=change.cost_delta, currency=change.currency))
    for suite in sorted({str(p.facts["suite"]) for p in change.suite_problems}):
        lines.append(t("summary_suite", suite=suite))
    for line in change.lines:
        if line.releases:
            holders = [h.user_id for h in line.releases]
            lines.append(
                t("summary_releases", product=line.name, count=len(holders), people=people(holders, language))
            )
    blocks: list[Block] = [section("\n".join(lines), block_id=SUMMARY_BLOCK)]
    if change.releases:
        count = len(change.releases)
        blocks.append(
            InputBlock(
                # A new block id whenever the list of agents changes, so an old tick never carries over.
                block_id=f"{CONFIRM_BLOCK}{change.release_token}",
                label=_plain(t.plain("confirm_label")),
                element=CheckboxesElement(
                    action_id=CONFIRM_ACTION,
                    options=[
                        Option(
                            value=change.release_token,
                            text=_plain(t.plain("confirm_option", count=count)[:75]),
                        ),
                    ],
                ),
                optional=True,
            )
        )
    return blocks


def modal_errors(
    problems: Sequence[Problem], view_blocks: Sequence[Mapping[str, Any]], language: str
) -> dict[str, str]:
    """`response_action: errors`, keyed by the block each problem belongs to."""
    t = texts("change_modal", language)
    present = [str(b.get("block_id")) for b in view_blocks if b.get("type") == "input"]
    products = [b for b in present if b.startswith(PRODUCT_BLOCK)]
    confirm = next((b for b in present if b.startswith(CONFIRM_BLOCK)), None)
    errors: dict[str, str] = {}
    for problem in problems:
        if problem.field == "justification":
            target = JUSTIFICATION_BLOCK
        elif problem.field == "confirm_downgrade" and confirm:
            target = confirm
        elif problem.field and f"{PRODUCT_BLOCK}{problem.field}" in present:
            target = f"{PRODUCT_BLOCK}{problem.field}"
        else:
            target = products[0] if products else JUSTIFICATION_BLOCK
        errors.setdefault(target, t.plain(f"error_{problem.code}", **problem.facts)[:2000])
    return errors


def done_view(mode: Mode, request: RequestView, approvers: list[str], language: str) -> dict[str, Any]:
    t = texts("change_modal", language)
    if mode is Mode.REQUEST:
        first = t("done_request", id=request.id, people=people(approvers, language))
    else:
        first = t(f"done_{mode.value}")
    lines = change_lines(request.lines, language)
    view = View(
        type="modal",
        title=_plain(t.plain("done_title")[:24]),
        close=_plain(t.plain("done_close")[:24]),
        blocks=[section(first), section(lines)],
    )
    return view.to_dict()


def info_view(content: Reply, language: str) -> dict[str, Any]:
    """Replaces a modal whose submission can't go through (e.g. a pending request exists)."""
    t = texts("change_modal", language)
    view = View(
        type="modal",
        title=_plain(t.plain("info_title")[:24]),
        close=_plain(t.plain("done_close")[:24]),
        blocks=content.blocks,
    )
    return view.to_dict()


def decline_modal(request: RequestView, language: str) -> dict[str, Any]:
    t = texts("change_modal", language)
    view = View(
        type="modal",
        callback_id=DECLINE_CALLBACK,
        title=_plain(t.plain("decline_title")[:24]),
        submit=_plain(t.plain("decline_submit")[:24]),
        close=_plain(t.plain("close")[:24]),
        private_metadata=json.dumps({"request_id": request.id}),
        blocks=[
            section(t("decline_intro", id=request.id, requester=request.requester_id)),
            section(change_lines(request.lines, language)),
            InputBlock(
                block_id=REASON_BLOCK,
                label=_plain(t.plain("decline_label")),
                hint=_plain(t.plain("decline_hint")),
                optional=True,
                element=PlainTextInputElement(action_id=TEXT_ACTION, multiline=True, max_length=1000),
            ),
        ],
    )
    return view.to_dict()


def working_view(language: str) -> dict[str, Any]:
    """Shown the moment a form is sent, until what it did is known (a second or so)."""
    t = texts("change_modal", language)
    view = View(
        type="modal",
        callback_id=WORKING_CALLBACK,
        title=_plain(t.plain("working_title")[:24]),
        close=_plain(t.plain("done_close")[:24]),
        blocks=[section(t("working"))],
    )
    return view.to_dict()
