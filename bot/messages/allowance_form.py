"""The owner's standing allowances form: per product, seats a month and an optional cost cap."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    NumberInputElement,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.domain.account_file import AccountFile
from bot.domain.errors import Problem
from bot.messages.i18n import texts
from bot.messages.limits import LABEL_TEXT, VIEW_BLOCKS, VIEW_TITLE, shorten
from bot.messages.reply import context, section
from storage.models import MAX_SEATS

ALLOWANCES_CALLBACK = "standing_allowances"
OPEN_ALLOWANCES = "open_allowances"
VALUE = "value"
SEATS, COST = "seats", "cost"
SHOWN = (VIEW_BLOCKS - 1) // 3
"""Products the form holds (three blocks each)."""


def _plain(text: str, limit: int = LABEL_TEXT) -> PlainTextObject:
    return PlainTextObject(text=shorten(text, limit), emoji=True)


def block_of(key: str, field: str) -> str:
    return f"allowance:{key}:{field}"


def allowances_form(current: AccountFile, language: str) -> dict[str, Any]:
    t = texts("allowances", language)
    blocks: list[Block] = [context(t("form_intro"))]
    products = current.products[:SHOWN]
    for product in products:
        allowance = product.allowance
        blocks.append(section(t("form_product", name=product.name, edition=product.edition)))
        blocks.append(
            InputBlock(
                block_id=block_of(product.key, SEATS),
                label=_plain(t.plain("form_seats")),
                optional=True,
                element=NumberInputElement(
                    action_id=VALUE,
                    is_decimal_allowed=False,
                    min_value="1",
                    max_value=str(MAX_SEATS),
                    initial_value=str(allowance.seats_per_month) if allowance else None,
                ),
            )
        )
        cost = allowance.cost_per_month if allowance else None
        blocks.append(
            InputBlock(
                block_id=block_of(product.key, COST),
                label=_plain(t.plain("form_cost", currency=current.account.currency)),
                optional=True,
                element=PlainTextInputElement(
                    action_id=VALUE,
                    max_length=14,
                    initial_value=None if cost is None else format(cost.normalize(), "f"),
                ),
            )
        )
    view = View(
        type="modal",
        callback_id=ALLOWANCES_CALLBACK,
        title=_plain(t.plain("form_title"), VIEW_TITLE),
        submit=_plain(t.plain("form_save"), VIEW_TITLE),
        close=_plain(t.plain("form_close"), VIEW_TITLE),
        blocks=blocks,
        private_metadata=json.dumps({"keys": [p.key for p in products]}),
    )
    return view.to_dict()


def allowances_errors(problems: Sequence[Problem], keys: Sequence[str], language: str) -> dict[str, str]:
    """Each problem next to its field (`products.<i>.allowance.<field>` of the shown products)."""
    t = texts("allowances", language)
    errors: dict[str, str] = {}
    for problem in problems:
        parts = (problem.field or "").split(".")
        if len(parts) < 3 or parts[0] != "products" or not parts[1].isdigit():
            continue
        index = int(parts[1])
        if index >= len(keys):
            continue
        field = COST if "cost_per_month" in parts else SEATS
        errors.setdefault(block_of(keys[index], field), t.plain(f"form_bad_{field}"))
    if not errors and keys:
        errors[block_of(keys[0], SEATS)] = t.plain("form_bad_seats")
    return errors
