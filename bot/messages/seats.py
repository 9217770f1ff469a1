"""Block Kit for seat assignment, seats on the fly, and out-of-licences alerts."""

from __future__ import annotations

from decimal import Decimal

from babel.lists import format_list
from slack_sdk.models.blocks import Block, ButtonElement

from bot.domain.errors import InvalidInput
from bot.domain.request_view import LineView
from bot.messages.blocks import actions, button, confirm_dialog
from bot.messages.forecast import runs_out_text
from bot.messages.i18n import Mrkdwn, escape_mrkdwn, people, slack_date, texts, unescape_mrkdwn
from bot.messages.reply import Reply, context, section
from bot.messages.requests import change_lines, one_line
from bot.services.assignments import Assignment, Outcome
from bot.services.buying import BuyOutcome, BuyResult
from bot.services.ledger import AlertView
from bot.services.offers import ALERT, BuyOffer
from storage.models import AlertLevel, Product

BUY_SEATS = "buy_seats"
OPEN_CHANGE = "open_change_modal"


def prefill_value(product_key: str, more: int) -> str:
    """Button value asking the change form to open with `more` seats added to a product."""
    return f"prefill:{product_key}:+{more}"


def buy_value(offer: BuyOffer) -> str:
    """The Buy button's value: the offer, as `product:from_seats:count:origin`."""
    return f"{offer.product_key}:{offer.from_seats}:{offer.count}:{offer.origin}"


def parse_buy_value(value: str) -> BuyOffer:
    """The offer a Buy button names. The value is untrusted: anything that is not
    the shape `buy_value` makes (including buttons of older versions) is refused."""
    key, from_text, count_text, origin = ([*value.split(":"), "", "", "", ""])[:4]
    numbers = (from_text, count_text)
    if (
        value.count(":") != 3
        or not (key and len(key) <= 40 and key.replace("_", "").isalnum() and key.isascii())
        or not all(n.isdigit() and len(n) < 7 for n in numbers)
        or not (1 < len(origin) < 12 and origin[1:].isdigit())
    ):
        raise InvalidInput("bad_offer")
    return BuyOffer(key, int(from_text), int(count_text), origin)


def buy_button(
    offer: BuyOffer, *, product: str, price: Decimal | None, currency: str, language: str
) -> ButtonElement:
    """ "Buy N more seats", with a confirmation that shows the change and its monthly cost."""
    t = texts("seats", language)
    line = one_line(product, offer.from_seats, offer.from_seats + offer.count, language)
    confirm = unescape_mrkdwn(t("buy_confirm_text", line=line))
    if price is not None:
        cost = t("buy_confirm_cost", amount=price * Decimal(offer.count), currency=currency)
        confirm = f"{confirm}\n{unescape_mrkdwn(cost)}"
    return button(
        t.plain("buy", count=offer.count),
        action_id=BUY_SEATS,
        value=buy_value(offer),
        style="primary",
        confirm=confirm_dialog(
            title=t.plain("buy_confirm_title"),
            text=confirm,
            yes=t.plain("buy_confirm_yes"),
            no=t.plain("buy_confirm_no"),
        ),
    )


def _buy_actions(offer: BuyOffer, product: Product, *, currency: str, language: str) -> Block:
    return actions(
        buy_button(
            offer, product=product.name, price=product.price_per_seat, currency=currency, language=language
        )
    )


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
    if result.offer is not None:
        blocks.append(_buy_actions(result.offer, product, currency=currency, language=language))
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


def buy_reply(result: BuyResult, *, clicked: BuyOffer, language: str, currency: str) -> Reply:
    """What the person who clicked Buy reads: done, already done (by whom, when), or why not."""
    t = texts("seats", language)
    lines = Mrkdwn(
        change_lines(
            [LineView(m.product, m.before, m.after, None, ()) for m in result.moved], language, sep=", "
        )
    )
    names = Mrkdwn(_names([m.product for m in result.moved], language))
    if result.outcome is BuyOutcome.BOUGHT:
        text = (
            t("bought_suite", suite=result.suite, line=lines)
            if len(result.moved) > 1
            else t("bought", line=lines)
        )
        blocks: list[Block] = [section(text)]
        if result.given:
            blocks.append(section(t("given", people=people(result.given, language))))
        return Reply(text=text, blocks=blocks)
    if result.outcome is BuyOutcome.ALREADY:
        first = result.moved[0]
        text = t(
            "already_bought",
            products=names,
            count=len(result.moved),
            before=first.before,
            after=first.after,
            by=result.by or "",
            when=slack_date(result.at, language) if result.at else "",
        )
        return Reply(text=text, blocks=[section(text)])
    product = result.product
    if product.seats != clicked.from_seats:
        text = t("buy_stale_seats", product=product.name, seats=product.seats, offered=clicked.from_seats)
    else:
        text = t("buy_stale_waiting", product=product.name, count=result.waiting)
    blocks = [section(text)]
    if result.offer is not None:
        blocks.append(context(t("waiting_others", count=result.waiting)))
        blocks.append(_buy_actions(result.offer, product, currency=currency, language=language))
    else:
        blocks.append(context(t("buy_nobody_waits", product=product.name)))
    return Reply(text=text, blocks=blocks)


def _names(names: list[str], language: str) -> str:
    """`*Guide* and *Chat*`: product names, bold, joined the way the language does it."""
    locale = {"en": "en_US", "fr": "fr_FR"}[language]
    return format_list([f"*{escape_mrkdwn(n)}*" for n in names], locale=locale)


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
    if view.runs_out is not None and view.closed_at is None:
        blocks.append(context(runs_out_text(view.product_name, view.runs_out, language)))
    if view.to_free and view.closed_at is None:
        hint = texts("reclaim", language)(
            "hint", count=view.to_free, product=view.product_name, key=view.product_key
        )
        blocks.append(context(hint))
    if view.waiting and view.closed_at is None:
        blocks.append(section(t("alert_waiting", people=people(view.waiting, language))))
    blocks.append(context(t("alert_since", when=slack_date(view.opened_at, language))))
    if view.closed_at is None:
        more = max(len(view.waiting), 1)
        elements = [
            button(
                t.plain("alert_button"),
                action_id=OPEN_CHANGE,
                value=prefill_value(view.product_key, more),
                style=None if view.waiting else "primary",
            )
        ]
        if view.waiting and view.alert_id is not None:
            # Anyone in the channel sees it; only the owner and billing admins may use it
            # (checked on the server), the others are told whom to ask.
            offer = BuyOffer(view.product_key, view.seats, len(view.waiting), f"{ALERT}{view.alert_id}")
            elements.insert(
                0,
                buy_button(
                    offer,
                    product=view.product_name,
                    price=view.price_per_seat,
                    currency=view.currency,
                    language=language,
                ),
            )
        blocks.append(actions(*elements))
    # The fallback is mrkdwn too (notifications): keep it escaped.
    return Reply(text=f"{t('alert_fallback', product=view.product_name)} — {text}", blocks=blocks)
