"""Words of the standing allowance: the requester's form once approved, and the approvers' note."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.domain.request_view import RequestView
from bot.messages.i18n import texts
from bot.messages.reply import Reply, context, section
from bot.messages.requests import line_sections


def approved_within_allowance(request: RequestView, language: str) -> str:
    """The first words of the form once a request went through on the allowance."""
    return approved_within_allowance_text(request.id, language)


def approved_within_allowance_text(request_id: int, language: str) -> str:
    return texts("allowances", language)("done", id=request_id)


def allowance_note(request: RequestView, *, left: list[dict[str, Any]], language: str) -> Reply:
    """The quiet DM to an approver: nothing to do, only what was approved and what is left
    (`left`: per product, as the request recorded it)."""
    t = texts("allowances", language)
    remaining = []
    for what in left:
        line = t("left_seats", product=str(what.get("product", "")), seats=int(what.get("seats", 0)))
        if what.get("cost") is not None:
            amount = Decimal(str(what["cost"]))
            line = f"{line} {t('left_cost', amount=amount, currency=request.currency)}"
        remaining.append(line)
    told = section(t("told", id=request.id, requester=request.requester_id))
    blocks = [told, *line_sections(request.lines, language)]
    if remaining:
        blocks.append(context(*remaining))
    return Reply(text=t("told_fallback", id=request.id), blocks=blocks)
