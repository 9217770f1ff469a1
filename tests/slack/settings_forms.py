"""Filling in the settings form as a person does: the set-up offered by `/seats`, its
fields by block, "Add another product", and the form sent."""

from __future__ import annotations

from typing import Any

from standin.models import Message
from tests.slack.conftest import RunningBot, blocks_text


def product(row: int, key: str, name: str, edition: str, seats: str, **more: str) -> dict[str, Any]:
    """One product row's fields (`price`, `suite` optional)."""
    fields = {"key": key, "name": name, "edition": edition, "seats": seats, **more}
    return {f"product:{row}:{field}": {"value": value} for field, value in fields.items()}


def basics(name: str = "Acme Support", currency: str = "EUR") -> dict[str, Any]:
    return {"name": {"value": name}, "currency": {"value": currency}}


def offer(bot: RunningBot, user_id: str) -> Message:
    """`/seats` in a workspace with no account: the answer (an offer, or who can set up)."""
    return bot.command(user_id, "")


def open_setup(bot: RunningBot, user_id: str) -> dict[str, Any]:
    """`/seats`, then "Set up seatbot": the form."""
    answer = offer(bot, user_id)
    assert "Set up seatbot" in blocks_text(answer.blocks), answer.text
    seen = len(bot.slack.open_views(user_id))
    bot.driver.click(user_id, action_id="open_setup", message=answer)
    return bot.slack.wait_for(
        lambda: bot.slack.open_views(user_id)[seen:] and bot.slack.open_views(user_id)[-1]
    )


def add_product(bot: RunningBot, user_id: str, view: dict[str, Any], typed: dict[str, Any]) -> dict[str, Any]:
    """Click "Add another product" (with what was typed so far): the form, one row longer."""
    before = view["hash"]
    bot.driver.click(user_id, view=view, action_id="settings_add_product", state_values=typed)
    return bot.slack.wait_for(lambda: (v := bot.slack.view(view["id"])) and v["hash"] != before and v)


def input_ids(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
