"""An account of 100 products (the most the account file allows), with suites, on every
surface: each stays within Slack's limits and every product stays within reach."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.messages.i18n import unescape_mrkdwn
from standin.models import Message
from storage.models import ChangeRequest, Product
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot, blocks_text, open_modal, submit

LONG_NAME = "Workforce Engagement and Quality Assurance Analytics for Omnichannel Teams"
"""A product name of 74 characters: with its edition, too long for a menu option (75)."""

JUSTIFICATION = ("Our support & sales teams grow <fast> this quarter. " * 55).strip()
"""Over 3,000 characters once escaped for Slack (every & < > takes 4 or 5)."""


def _products() -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = [
        {"key": "support", "name": "Support", "edition": "Professional", "seats": 10, "price_per_seat": 115},
        {"key": "guide", "name": "Guide", "edition": "Professional", "seats": 10, "suite": "Support Suite"},
        {"key": "chat", "name": "Chat", "edition": "Professional", "seats": 10, "suite": "Support Suite"},
        {"key": "sell", "name": "Sell", "edition": "Team", "seats": 4, "suite": "Sales Suite"},
        {"key": "explore", "name": "Explore", "edition": "Team", "seats": 4, "suite": "Sales Suite"},
        {"key": "wem", "name": LONG_NAME, "edition": "Enterprise Plus", "seats": 3, "price_per_seat": 12},
        {"key": "talk", "name": "Talk", "edition": "Team", "seats": 2},  # the agents' second product
    ]
    for i in range(len(products), 100):
        products.append(
            {"key": f"addon_{i:03d}", "name": f"Add-on {i:03d}", "edition": "Team", "seats": i % 7 + 1}
        )
    return products


@pytest.fixture
def large(engine: Engine) -> None:
    make_account(engine, now=NOW, products=_products())


def _names() -> list[str]:
    return [p["name"] for p in _products()]


def _seats(engine: Engine, key: str) -> int:
    with Session(engine) as session:
        return session.exec(select(Product.seats).where(Product.key == key)).one()


def _inputs(view: dict[str, Any]) -> list[str]:
    return [
        b["block_id"].split(":", 1)[1] for b in view["blocks"] if b.get("block_id", "").startswith("seats:")
    ]


def _picker(view: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == "pick_products")["element"]


def _section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def _redrawn(bot: RunningBot, user_id: str, old: dict[str, Any]) -> dict[str, Any]:
    """The modal once seatbot has redrawn it (its hash changes on every update)."""
    return bot.slack.wait_for(
        lambda: bot.slack.open_views(user_id)[-1]["hash"] != old["hash"] and bot.slack.open_views(user_id)[-1]
    )


def test_summary_shows_every_product_within_one_message(bot: RunningBot, large: None) -> None:
    reply = bot.command("U0OWNER")
    assert len(reply.blocks) <= 50
    text = blocks_text(reply.blocks)
    for name in _names():
        assert f"*{name}* ·" in text
    # Ten products per section, in two columns: 100 products in 10 blocks.
    assert sum(1 for b in reply.blocks if b.get("fields")) == 10
    assert "10 seats · 0 in use · 10 free" in text
    assert "Manage seats" in text


def test_manage_opens_a_form_with_a_picker_of_every_product(bot: RunningBot, large: None) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    assert len(view["blocks"]) <= 100
    options = _picker(view)["options"]
    assert [o["value"] for o in options] == [p["key"] for p in _products()]
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    long = next(o for o in options if o["value"] == "wem")["text"]["text"]
    assert long.startswith("Workforce Engagement")
    assert long.endswith("…")
    assert _inputs(view) == []  # nothing picked yet: the form says so
    assert "Pick the products to change above" in blocks_text(view["blocks"])


def test_picking_a_suite_product_brings_its_suite_and_the_live_summary_follows(
    bot: RunningBot, engine: Engine, large: None
) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    bot.driver.click("U0OWNER", view=view, action_id="pick_products", selected=["guide", "addon_050"])
    picked = _redrawn(bot, "U0OWNER", view)
    assert _inputs(picked) == ["guide", "chat", "addon_050"]  # Chat comes with Guide (Support Suite)
    assert [o["value"] for o in _picker(picked)["initial_options"]] == ["guide", "chat", "addon_050"]

    # A keystroke in a picked product redraws the summary and keeps the picked inputs.
    bot.driver.click(
        "U0OWNER",
        view=picked,
        action_id="seats_picked",
        block_id="seats:addon_050",
        value="9",
        state_values={"seats:addon_050": {"seats_picked": {"type": "number_input", "value": "9"}}},
    )
    typed = _redrawn(bot, "U0OWNER", picked)
    assert _inputs(typed) == ["guide", "chat", "addon_050"]
    assert len(typed["blocks"]) <= 100
    summary = next(b for b in typed["blocks"] if b.get("block_id") == "live_summary")
    assert "Add-on 050: 2 → 9 (+7)" in summary["text"]["text"]

    answer = submit(bot, "U0OWNER", typed, {"seats:addon_050": {"seats_picked": "9"}})
    assert answer["response_action"] == "update"
    assert "Add-on 050: 2 → 9 (+7)" in blocks_text(answer["view"]["blocks"])
    assert _seats(engine, "addon_050") == 9


def test_picking_every_product_fits_the_form_and_says_so(bot: RunningBot, large: None) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    everything = [p["key"] for p in _products()]
    bot.driver.click("U0OWNER", view=view, action_id="pick_products", selected=everything)
    picked = _redrawn(bot, "U0OWNER", view)
    assert len(picked["blocks"]) == 100
    assert 90 <= len(_inputs(picked)) < 100
    assert f"Only {len(_inputs(picked))} products fit in this form at once" in blocks_text(picked["blocks"])


def test_errors_are_shown_in_a_large_form(bot: RunningBot, large: None) -> None:
    view = open_modal(bot, "U0OWNER", "manage")
    bot.driver.click("U0OWNER", view=view, action_id="pick_products", selected=["guide"])
    picked = _redrawn(bot, "U0OWNER", view)
    answer = submit(bot, "U0OWNER", picked, {"seats:guide": {"seats_picked": "12"}})
    assert answer["response_action"] == "errors"
    assert "Support Suite" in answer["errors"]["seats:guide"]


def _approval_dm(bot: RunningBot, user_id: str) -> Message:
    return bot.slack.wait_for(
        lambda: next((m for m in bot.slack.dm(user_id) if "asks for a seat change" in m.text), None)
    )


def test_a_request_with_a_long_justification_is_shortened_and_readable_in_full(
    bot: RunningBot, engine: Engine, large: None
) -> None:
    view = open_modal(bot, "U0ADMIN", "request wem +5")
    assert _inputs(view) == ["wem"]
    assert (
        next(b for b in view["blocks"] if b.get("block_id") == "seats:wem")["element"]["initial_value"] == "8"
    )
    answer = submit(bot, "U0ADMIN", view, {"justification": {"text": JUSTIFICATION}})
    assert answer["response_action"] == "update", answer

    dm = _approval_dm(bot, "U0OWNER")
    assert len(dm.blocks) <= 50
    why = next(b for b in dm.blocks if b["type"] == "section" and "*Why:*" in b["text"]["text"])
    assert len(why["text"]["text"]) <= 3000
    assert why["text"]["text"].endswith("…")
    assert why["accessory"]["text"]["text"] == "Read in full"
    assert f"{LONG_NAME}: 3 → 8 (+5)" in blocks_text(dm.blocks)

    bot.driver.click("U0OWNER", message=dm, action_id="read_request")
    full = bot.slack.wait_for(lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1])
    assert full["title"]["text"] == "Request #1"
    texts = _section_texts(full["blocks"])
    start = next(i for i, t in enumerate(texts) if t.startswith("*Why:*"))
    shown = "\n".join(texts[start:]).removeprefix("*Why:*\n")
    assert unescape_mrkdwn(shown).replace("\n", " ") == JUSTIFICATION


def test_someone_else_cannot_read_a_request(bot: RunningBot, large: None) -> None:
    view = open_modal(bot, "U0ADMIN", "request support +1")
    submit(bot, "U0ADMIN", view, {"justification": {"text": JUSTIFICATION}})
    dm = _approval_dm(bot, "U0OWNER")
    bot.driver.click("U0AG1", message=dm, action_id="read_request", value="1")
    refusal = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0AG1") or None)
    assert "only the account owner and billing admins can" in refusal[-1].text
    assert bot.slack.open_views("U0AG1") == []


def _request_of_many(bot: RunningBot, engine: Engine, count: int) -> None:
    """The admin asks for one more seat on each of `count` products, picked in the form."""
    view = open_modal(bot, "U0ADMIN", "request")
    keys = [p["key"] for p in _products() if not p.get("suite")][:count]
    bot.driver.click("U0ADMIN", view=view, action_id="pick_products", selected=keys)
    picked = _redrawn(bot, "U0ADMIN", view)
    assert _inputs(picked) == keys
    seats = {p["key"]: p["seats"] for p in _products()}
    values: dict[str, Any] = {f"seats:{k}": {"seats_picked": str(seats[k] + 1)} for k in keys}
    values["justification"] = {"text": "Hiring"}
    answer = submit(bot, "U0ADMIN", picked, values)
    assert answer["response_action"] == "update", answer
    assert len(answer["view"]["blocks"]) <= 100
    with Session(engine) as session:
        assert session.exec(select(ChangeRequest)).one().status == "pending"


def test_approval_dm_and_home_of_a_request_on_many_products(
    bot: RunningBot, engine: Engine, large: None
) -> None:
    _request_of_many(bot, engine, 80)
    dm = _approval_dm(bot, "U0OWNER")
    assert len(dm.blocks) <= 50
    text = blocks_text(dm.blocks)
    for name in [p["name"] for p in _products() if not p.get("suite")][:80]:
        assert f"{name}: " in text  # every line, over several sections
    assert all(len(t) <= 3000 for t in _section_texts(dm.blocks))
    decide = next(b for b in dm.blocks if b["type"] == "actions")
    confirm = decide["elements"][0]["confirm"]["text"]["text"]
    assert len(confirm) <= 300
    assert confirm.endswith("…")

    # App Home: the summary of 100 products, your requests, and the queue with its buttons.
    bot.driver.app_home_opened("U0OWNER")
    home = bot.slack.wait_for(lambda: bot.slack.home("U0OWNER"))
    assert len(home["blocks"]) <= 100
    text = json.dumps(home["blocks"], ensure_ascii=False)
    assert "Your requests" in text
    assert "Waiting for your decision" in text
    assert f"*{_names()[-1]}* ·" in text  # the last product of the summary is there
    assert "and 75 more products" in text
    item = next(b for b in home["blocks"] if "#1" in b.get("text", {}).get("text", ""))
    assert item["accessory"]["text"]["text"] == "Details"
    assert any(b.get("block_id") == "decide:1" for b in home["blocks"])

    bot.driver.click("U0OWNER", view=home, action_id="read_request")
    full = bot.slack.wait_for(lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1])
    assert len(full["blocks"]) <= 100
    assert "Request #1 from <@U0ADMIN>: 80 products" in blocks_text(full["blocks"])
    assert "Add-on 083: 7 → 8 (+1)" in blocks_text(full["blocks"])  # the 80th line

    # The requester's own list says the same, in French for the billing admin's queue too.
    mine = bot.command("U0ADMIN", "requests")
    assert "and 75 more products" in blocks_text(mine.blocks)
    queue = bot.command("U0BILL", "requests")
    assert "et 75 autres produits" in blocks_text(queue.blocks)
    assert len(queue.blocks) <= 50


def test_request_for_a_suite_product_opens_with_its_suite(bot: RunningBot, large: None) -> None:
    view = open_modal(bot, "U0ADMIN", "request guide +2")
    assert _inputs(view) == ["guide", "chat"]
    values = {
        b["block_id"]: b["element"]["initial_value"]
        for b in view["blocks"]
        if b["type"] == "input" and b["block_id"].startswith("seats:")
    }
    assert values == {"seats:guide": "12", "seats:chat": "10"}
    assert "The products of Support Suite must keep the same seat count" in blocks_text(view["blocks"])


def test_an_unknown_product_names_some_and_points_to_all(bot: RunningBot, large: None) -> None:
    reply = bot.command("U0ADMIN", "request nosuch +1")
    assert "There is no product “nosuch”" in reply.blocks[0]["text"]["text"]
    assert "`support`, `guide`" in reply.blocks[0]["text"]["text"]
    assert "and 80 more (type `/seats` to see them all)" in reply.blocks[0]["text"]["text"]
