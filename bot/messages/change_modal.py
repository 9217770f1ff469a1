"""The change modal (views.open / views.update) and the decline modal."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticMultiSelectElement,
)
from slack_sdk.models.blocks.basic_components import DispatchActionConfig
from slack_sdk.models.views import View

from bot.domain.errors import Problem
from bot.domain.forecast import RunOut
from bot.domain.request_view import RequestView
from bot.messages.allowances import approved_within_allowance
from bot.messages.forecast import runs_out_text
from bot.messages.i18n import Texts, people, texts, unescape_mrkdwn
from bot.messages.limits import (
    ELLIPSIS,
    LABEL_TEXT,
    MODAL_ERROR,
    OPTION_TEXT,
    SECTION_TEXT,
    VIEW_BLOCKS,
    VIEW_TITLE,
    chunks,
    shorten,
)
from bot.messages.reply import Reply, context, divider, section
from bot.messages.requests import change_lines, line_sections
from bot.services.drafts import ChangePreview
from bot.services.products import with_suites
from bot.services.seat_changes import Draft, Mode
from storage.models import MAX_SEATS, Product, RequestStatus

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
PICK_BLOCK = "pick_products"
PICK_ACTION = "pick_products"
PICKED_SEATS_ACTION = "seats_picked"
"""Seat inputs of a form with a product picker: their keystrokes are redrawn by the
picker's listener, which reads the picked products from the view's state."""

SUMMARY_SECTIONS = 8
"""The live summary's most sections (a reduction of every product to zero with thousands
of agents would need hundreds); past it, the summary ends in "…"."""

ROOMY_UP_TO = 20
"""Up to this many products the form shows one input per product (today's look); beyond,
a picker (a multi-select of every product) chooses which inputs the form shows, so an
account of 100 products stays within Slack's 100 blocks per view, and usable."""


PARTS_KEPT = 512
"""Seat fields, and the words around them, kept as Slack takes them (each its own LRU): a
product's field reads the same for everyone who opens or edits a form until its seats, its
use, its forecast or the value typed move, so a keystroke renders only the live summary."""


@dataclass(frozen=True)
class _Field:
    """What a product's seat field shows of it (the templates read these names)."""

    key: str
    name: str
    edition: str
    seats: int


DIVIDER = divider().to_dict()


def _plain(text: str, limit: int = LABEL_TEXT) -> PlainTextObject:
    return PlainTextObject(text=shorten(text, limit), emoji=True)


def has_picker(draft: Draft) -> bool:
    return len(draft.products) > ROOMY_UP_TO


def change_modal(
    draft: Draft,
    language: str,
    *,
    initial: Mapping[str, int] | None = None,
    picked: Sequence[str] | None = None,
    amending: int | None = None,
    justification: str | None = None,
) -> dict[str, Any]:
    """The modal for `draft`; `initial` pre-fills products (from `/seats request support +5`).
    `amending`: the pending request this form amends (its counts in `initial`, its
    `justification` written in).

    Large accounts get a product picker; `picked` is what it holds (from the view's state),
    and the form shows those products, the pre-filled and changed ones, and their suites."""
    t = texts("change_modal", language)
    frame = _frame(language, draft.mode, amending, justification)
    summary = [block.to_dict() for block in summary_blocks(draft.change, language, total=draft.monthly_total)]
    head: list[dict[str, Any]] = list(frame.head)
    products = draft.products
    action_id = SEATS_ACTION
    if has_picker(draft):
        action_id = PICKED_SEATS_ACTION
        chosen = [*(picked or ()), *(initial or {}), *(line.key for line in draft.change.lines)]
        keys = with_suites(draft.products, chosen)
        # Intro, picker, justification, divider, summary, note and the cut notice stay.
        room = VIEW_BLOCKS - len(head) - 1 - 1 - 1 - len(summary) - 1 - 1
        head.append(_picker(draft.products, keys, language).to_dict())
        products = [p for p in draft.products if p.key in keys]
        if not products:
            head.append(context(t("pick_first")).to_dict())
        elif len(products) > room:
            products = products[:room]
            head.append(context(t("pick_fewer", count=room)).to_dict())
    blocks = head
    for product in products:
        shown = _Field(product.key, product.name, product.edition, product.seats)
        blocks.append(
            _product_input(
                shown,
                language,
                action_id=action_id,
                value=(initial or {}).get(product.key, product.seats),
                used=draft.used.get(product.id or 0, 0),
                runs_out=draft.runs_out.get(product.id or 0),
            )
        )
    blocks += [frame.justification, DIVIDER, *summary, frame.note]
    # Built as Slack takes it: its parts already are (a View would parse them back).
    return {
        "type": "modal",
        "callback_id": CHANGE_CALLBACK,
        **frame.buttons,
        "blocks": blocks,
        "private_metadata": frame.metadata,
    }


@dataclass(frozen=True)
class _Frame:
    """What a form says around its seat fields and summary, as Slack takes it: the same for
    everyone who opens one in a language, a mode (and a request amended)."""

    head: tuple[dict[str, Any], ...]
    justification: dict[str, Any]
    note: dict[str, Any]
    buttons: dict[str, Any]
    """Title, submit and close."""
    metadata: str


@lru_cache(maxsize=PARTS_KEPT)
def _frame(language: str, mode: Mode, amending: int | None, justification: str | None) -> _Frame:
    t = texts("change_modal", language)
    direct = mode is not Mode.REQUEST
    head: list[Block] = [section(t(f"intro_{mode.value}"))]
    if amending is not None:
        head.insert(0, context(t("amending", id=amending)))
    field = InputBlock(
        block_id=JUSTIFICATION_BLOCK,
        label=_plain(t.plain("justification_label")),
        hint=_plain(t.plain("justification_hint_direct" if direct else "justification_hint_request")),
        element=PlainTextInputElement(
            action_id=TEXT_ACTION, multiline=True, max_length=3000, initial_value=justification or None
        ),
        optional=direct,
    )
    # "Ask the account owner" is no answer for the owner or a billing admin themselves.
    note = context(t("billing_note_direct" if direct else "billing_note"))
    title, submit = ("title_manage" if direct else "title_request"), f"submit_{mode.value}"
    if amending is not None:
        title, submit = "title_amend", "submit_amend"
    buttons = {
        "title": _plain(t.plain(title), VIEW_TITLE).to_dict(),
        "submit": _plain(t.plain(submit), VIEW_TITLE).to_dict(),
        "close": _plain(t.plain("close"), VIEW_TITLE).to_dict(),
    }
    metadata = json.dumps({"mode": mode.value, "amend": amending})
    return _Frame(tuple(b.to_dict() for b in head), field.to_dict(), note.to_dict(), buttons, metadata)


@lru_cache(maxsize=PARTS_KEPT)
def _product_input(
    product: _Field, language: str, *, action_id: str, value: int, used: int, runs_out: RunOut | None
) -> dict[str, Any]:
    """One product's seat field, as Slack takes it. Shared by every form that shows it:
    whoever sends it only reads it."""
    t = texts("change_modal", language)
    return InputBlock(
        block_id=f"{PRODUCT_BLOCK}{product.key}",
        label=_plain(t.plain("product_label", product=product)),
        hint=_plain(_hint(t, product, used, runs_out)),
        element=NumberInputElement(
            action_id=action_id,
            is_decimal_allowed=False,
            initial_value=str(value),
            min_value="0",
            max_value=str(MAX_SEATS),
            dispatch_action_config=DispatchActionConfig(trigger_actions_on=["on_character_entered"]),
        ),
        dispatch_action=True,
        # Required: Slack keeps a cleared field from being submitted; a count is always set.
    ).to_dict()


def _picker(products: Sequence[Product], keys: Sequence[str], language: str) -> InputBlock:
    """Every product (Slack allows 100 options, the account file 100 products)."""
    t = texts("change_modal", language)
    options = {
        p.key: Option(value=p.key, text=_plain(t.plain("pick_option", product=p), OPTION_TEXT))
        for p in products
    }
    element = StaticMultiSelectElement(
        action_id=PICK_ACTION,
        placeholder=_plain(t.plain("pick_placeholder"), 150),
        options=list(options.values()),
        initial_options=[options[k] for k in keys if k in options] or None,
    )
    return InputBlock(
        block_id=PICK_BLOCK,
        label=_plain(t.plain("pick_label")),
        hint=_plain(t.plain("pick_hint", count=len(products))),
        element=element,
        dispatch_action=True,
        optional=True,
    )


def _hint(t: Texts, product: _Field, used: int, runs_out: RunOut | None) -> str:
    """Seats in use, and when the product fills up at the current pace (if that can be said)."""
    hint = t.plain("product_hint", product=product, used=used)
    if runs_out is None:
        return hint
    return f"{hint}\n{unescape_mrkdwn(runs_out_text(product.name, runs_out, t.language))}"


def summary_blocks(change: ChangePreview, language: str, *, total: Decimal | None = None) -> list[Block]:
    """The live summary, and the confirmation a seat removal needs; `total`: the account's
    monthly total now, shown moving with the change's cost."""
    t = texts("change_modal", language)
    lines = [t("summary_title")]
    if not change.lines:
        lines.append(t("summary_empty"))
    if change.lines:
        lines.append(change_lines(change.lines, language))
    if change.cost_delta is not None and change.lines:
        after = None if total is None else total + change.cost_delta
        cost = {"amount": change.cost_delta, "currency": change.currency, "before": total, "after": after}
        lines.append(texts("requests", language)("cost_delta", **cost))
    for suite in sorted({str(p.facts["suite"]) for p in change.suite_problems}):
        lines.append(t("summary_suite", suite=suite))
    for line in change.lines:
        if line.releases:
            holders = [h.user_id for h in line.releases]
            lines.append(
                t("summary_releases", product=line.name, count=len(holders), people=people(holders, language))
            )
    # One section while it fits (today's look); a change to many products takes several,
    # up to a bound that leaves the form room for its inputs whatever the change.
    parts = chunks(lines, SECTION_TEXT)
    if len(parts) > SUMMARY_SECTIONS:
        parts = parts[:SUMMARY_SECTIONS]
        parts[-1] = shorten(f"{parts[-1]}\n{ELLIPSIS}", SECTION_TEXT)
    blocks: list[Block] = [
        section(part, block_id=SUMMARY_BLOCK if i == 0 else f"{SUMMARY_BLOCK}:{i + 1}")
        for i, part in enumerate(parts)
    ]
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
                            text=_plain(t.plain("confirm_option", count=count), OPTION_TEXT),
                        ),
                    ],
                ),
                # Required: Slack keeps the form from being sent unticked; `drafts.check`
                # refuses a forged submission without it all the same.
                optional=False,
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
        errors.setdefault(target, shorten(t.plain(f"error_{problem.code}", **problem.facts), MODAL_ERROR))
    return errors


def done_view(mode: Mode, request: RequestView, approvers: list[str], language: str) -> dict[str, Any]:
    t = texts("change_modal", language)
    if mode is Mode.REQUEST and request.status is RequestStatus.APPLIED:
        first = approved_within_allowance(request, language)
    elif mode is Mode.REQUEST:
        first = t("done_request", id=request.id, people=people(approvers, language))
    else:
        first = t(f"done_{mode.value}")
    view = View(
        type="modal",
        title=_plain(t.plain("done_title"), VIEW_TITLE),
        close=_plain(t.plain("done_close"), VIEW_TITLE),
        blocks=[section(first), *line_sections(request.lines, language)],
    )
    return view.to_dict()


def info_view(content: Reply, language: str) -> dict[str, Any]:
    """Replaces a modal whose submission can't go through (e.g. a pending request exists)."""
    t = texts("change_modal", language)
    view = View(
        type="modal",
        title=_plain(t.plain("info_title"), VIEW_TITLE),
        close=_plain(t.plain("done_close"), VIEW_TITLE),
        blocks=content.blocks,
    )
    return view.to_dict()


def decline_modal(request: RequestView, language: str, *, version: int | None = None) -> dict[str, Any]:
    t = texts("change_modal", language)
    view = View(
        type="modal",
        callback_id=DECLINE_CALLBACK,
        title=_plain(t.plain("decline_title"), VIEW_TITLE),
        submit=_plain(t.plain("decline_submit"), VIEW_TITLE),
        close=_plain(t.plain("close"), VIEW_TITLE),
        private_metadata=json.dumps({"request_id": request.id, "version": version}),
        blocks=[
            section(t("decline_intro", id=request.id, requester=request.requester_id)),
            *line_sections(request.lines, language),
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
    """Shown the moment a form is sent, until what it did is known (a second or so).

    It is the same for everyone of a language and sits on every submission's ack path:
    drawn once, then handed out as a fresh copy (a caller may change its own)."""
    drawn: dict[str, Any] = json.loads(_working_view_json(language))
    return drawn


@lru_cache(maxsize=8)
def _working_view_json(language: str) -> str:
    t = texts("change_modal", language)
    view = View(
        type="modal",
        callback_id=WORKING_CALLBACK,
        title=_plain(t.plain("working_title")[:24]),
        close=_plain(t.plain("done_close")[:24]),
        blocks=[section(t("working"))],
    )
    return json.dumps(view.to_dict())
