"""`/seats reclaim`: the seats that could be freed, each with Unassign (confirmed first)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.messages.blocks import button, confirm_dialog
from bot.messages.i18n import Texts, texts
from bot.messages.reply import Reply, context, header, section
from bot.services.reclaim import Freeable, Freeables

RECLAIM_SEAT = "reclaim_seat"


def reclaim_reply(found: Freeables, language: str) -> Reply:
    t = texts("reclaim", language)
    title = t.plain("title", product=found.product)
    blocks: list[Block] = [header(title)]
    if not found.seats:
        blocks.append(section(t("none", days=found.idle_days)))
    for seat in found.seats:
        blocks.append(_seat(t, seat))
    if found.more:
        blocks.append(context(t("more", more=found.more)))
    return Reply(text=t("fallback"), blocks=blocks)


def reclaim_value(seat: Freeable) -> str:
    return f"{seat.product_key}:{seat.user_id}"


def parse_reclaim_value(value: str | None) -> tuple[str, str] | None:
    """(product key, user id) from a button's value, or None for anything else (untrusted)."""
    product, _, user = (value or "").partition(":")
    if not product or not user.isalnum() or len(value or "") > 120:
        return None
    return product, user


def _seat(t: Texts, seat: Freeable) -> Block:
    if seat.deactivated or seat.idle_days is None:
        text = t("deactivated", user=seat.user_id, product=seat.product_name)
    else:
        text = t("idle", user=seat.user_id, product=seat.product_name, days=seat.idle_days)
    block = section(text)
    block.accessory = button(
        t.plain("unassign"),
        action_id=RECLAIM_SEAT,
        value=reclaim_value(seat),
        style="danger",
        confirm=confirm_dialog(
            title=t.plain("confirm_title"),
            text=t.plain("confirm_text", product=seat.product_name),
            yes=t.plain("confirm_yes"),
            no=t.plain("confirm_no"),
        ),
    )
    return block
