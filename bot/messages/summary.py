"""Block Kit for the subscription summary."""

from __future__ import annotations

from functools import lru_cache

from slack_sdk.models.blocks import Block, ButtonElement

from bot.domain.permissions import APPROVERS
from bot.messages.blocks import actions, button
from bot.messages.forecast import runs_out_text
from bot.messages.i18n import Texts, texts
from bot.messages.limits import SECTION_FIELDS
from bot.messages.reply import Reply, context, divider, fields_section, header, section
from bot.services.summary import ProductUsage, Summary
from storage.models import Role

ROOMY_UP_TO = 15
"""Up to this many products, one section each (today's look); beyond, ten per section in
two columns, so that 100 products take 10 blocks and the summary fits a message (50 blocks)
and App Home (100, with the request lists) with every product shown."""


SHOWN_KEPT = 64
"""Summaries kept rendered, by what they show and in which language: a team that checks its
seats together is shown one rendering (a summary is a value; a change of seats is a new one)."""


@lru_cache(maxsize=SHOWN_KEPT)
def summary_reply(summary: Summary, language: str) -> Reply:
    t = texts("summary", language)
    blocks: list[Block] = [
        header(t.plain("header", account=summary.account_name)),
        context(t("context", plan=summary.plan.value, role=summary.viewer_role.value)),
        divider(),
    ]
    if not summary.products:
        blocks.append(section(t("no_products")))
    if len(summary.products) <= ROOMY_UP_TO:
        for product in summary.products:
            blocks.append(section(_product_text(t, product, summary), block_id=f"product:{product.key}"))
    else:
        per = SECTION_FIELDS
        for start in range(0, len(summary.products), per):
            page = summary.products[start : start + per]
            texts_ = [_product_text(t, product, summary) for product in page]
            blocks.append(fields_section(texts_, block_id=f"products:{start // per + 1}"))
    button = _change_button(t, summary)
    if button is not None:
        blocks.append(actions(button, block_id="summary_actions"))
    if summary.monthly_total is not None:
        blocks.append(context(t("total", total=summary.monthly_total, currency=summary.currency)))
    blocks.append(context(t("footer")))
    return Reply(text=t("fallback", account=summary.account_name), blocks=blocks)


OPEN_CHANGE = "open_change_modal"


def _change_button(t: Texts, summary: Summary) -> ButtonElement | None:
    """Manage (owner, billing admins) or Request (admins, when the account allows requests)."""
    if summary.viewer_role in APPROVERS:
        return button(t.plain("manage_button"), action_id=OPEN_CHANGE, value="manage", style="primary")
    if summary.viewer_role is Role.ADMIN and summary.change_requests:
        return button(t.plain("request_button"), action_id=OPEN_CHANGE, value="request", style="primary")
    return None


def _product_text(t: Texts, product: ProductUsage, summary: Summary) -> str:
    lines = [t("product", product=product)]
    if product.full:
        lines.append(t("product_full"))
    elif product.near_full(summary.alert_threshold_pct):
        lines.append(t("product_near_full", pct=product.used * 100 // product.seats))
    if product.price_per_seat is not None:
        lines.append(t("product_price", price=product.price_per_seat, currency=summary.currency))
    if product.suite:
        lines.append(t("product_suite", suite=product.suite))
    if product.runs_out is not None:
        lines.append(runs_out_text(product.name, product.runs_out, t.language))
    return "\n".join(lines)
