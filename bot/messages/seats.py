"""Block Kit for seat assignment, seats on the fly, and out-of-licences alerts."""

from __future__ import annotations

from decimal import Decimal

from slack_sdk.models.blocks import Block

from bot.messages.blocks import actions, button, confirm_dialog
from bot.messages.i18n import people, slack_date, texts, unescape_mrkdwn
from bot.messages.reply import Reply, context, section
from bot.messages.requests import one_line
from bot.services.alerts import AlertView
from bot.services.assignments import Assignment, Outcome
from storage.models import AlertLevel

BUY_SEATS = "buy_seats"
OPEN_CHANGE = "open_change_modal"


def prefill_value(product_key: str, more: int) -> str:
    """Button value asking the change form to open with `more` seats added to a product."""
    return f"prefill:{product_key}:+{more}"


def assignment_reply(result: Assignment, *, target: str, language: str, currency: str) -> Reply:
    t = texts("seats", language)
    product = result.product
    if result.outcome is Outcome.ASSIGNED:
        text = t("assigned", user=target, product=product.name, used=result.used, seats=product.seats)
        return Reply(text=text, blocks=[section(text)])
    text = t("waiting", product=product.name, used=result.used, seats=product.seats, user=target)
    blocks: list[Block] = [section(text)]
    more = max(result.waiting, 1)
    if result.waiting > 1:
        blocks.append(context(t("waiting_others", count=result.waiting)))
    if result.can_buy:
        line = one_line(product.name, product.seats, product.seats + more, language)
        confirm = unescape_mrkdwn(t("buy_confirm_text", line=line))
        if product.price_per_seat is not None:
            cost = t("buy_confirm_cost", amount=product.price_per_seat * Decimal(more), currency=currency)
            confirm = f"{confirm}\n{unescape_mrkdwn(cost)}"
        blocks.append(
            actions(
                button(
                    t.plain("buy", count=more),
                    action_id=BUY_SEATS,
                    value=f"{product.key}:{more}",
                    style="primary",
                    confirm=confirm_dialog(
                        title=t.plain("buy_confirm_title"),
                        text=confirm,
                        yes=t.plain("buy_confirm_yes"),
                        no=t.plain("buy_confirm_no"),
                    ),
                )
            )
        )
    else:
        blocks.append(
            actions(
                button(
                    t.plain("request_more", count=more),
                    action_id=OPEN_CHANGE,
                    value=prefill_value(product.key, more),
                    style="primary",
                )
            )
        )
    return Reply(text=text, blocks=blocks)


def unassigned_reply(result: Assignment, *, target: str, language: str) -> Reply:
    t = texts("seats", language)
    if result.outcome is Outcome.WAITING_CANCELLED:
        text = t("waiting_cancelled", user=target, product=result.product.name)
    else:
        text = t(
            "unassigned",
            user=target,
            product=result.product.name,
            used=result.used,
            seats=result.product.seats,
        )
    return Reply(text=text, blocks=[section(text)])


def bought_reply(*, product: str, before: int, after: int, given: list[str], language: str) -> Reply:
    t = texts("seats", language)
    text = t("bought", line=one_line(product, before, after, language))
    blocks: list[Block] = [section(text)]
    if given:
        blocks.append(section(t("given", people=people(given, language))))
    return Reply(text=text, blocks=blocks)


def granted_message(*, product: str, by: str | None, language: str) -> Reply:
    t = texts("seats", language)
    text = t("granted", product=product, by=by) if by else t("granted_fallback", product=product)
    return Reply(text=t("granted_fallback", product=product), blocks=[section(text)])


def waiting_done_message(*, product: str, user: str, language: str) -> Reply:
    text = texts("seats", language)("waiting_done", product=product, user=user)
    return Reply(text=text, blocks=[section(text)])


def undeliverable_message(*, channel: str, error: str, language: str) -> Reply:
    t = texts("seats", language)
    return Reply(
        text=t("undeliverable_fallback"), blocks=[section(t("undeliverable", target=channel, error=error))]
    )


def alert_message(view: AlertView, language: str) -> Reply:
    """The channel alert: what is full, who waits, and a button to ask for more (buttons gone once over)."""
    t = texts("seats", language)
    facts = {"product": view.product_name, "edition": view.edition, "used": view.used, "seats": view.seats}
    if view.closed_at is not None:
        text = t("alert_closed", product=view.product_name, when=slack_date(view.closed_at, language))
    elif view.level is AlertLevel.FULL:
        text = t("alert_full", **facts)
    else:
        text = t("alert_warning", **facts, pct=view.used * 100 // max(view.seats, 1))
    blocks: list[Block] = [section(text)]
    if view.waiting and view.closed_at is None:
        blocks.append(section(t("alert_waiting", people=people(view.waiting, language))))
    blocks.append(context(t("alert_since", when=slack_date(view.opened_at, language))))
    if view.closed_at is None:
        more = max(len(view.waiting), 1)
        blocks.append(
            actions(
                button(
                    t.plain("alert_button"),
                    action_id=OPEN_CHANGE,
                    value=prefill_value(view.product_key, more),
                    style="primary",
                )
            )
        )
    # The fallback is mrkdwn too (notifications): keep it escaped.
    return Reply(text=f"{t('alert_fallback', product=view.product_name)} — {text}", blocks=blocks)
