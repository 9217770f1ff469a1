"""/seats reclaim: seats held by deactivated or inactive people, freed in one confirmed click."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from standin import SlackStandIn, SlackUser
from tests.conftest import NOW
from tests.factories import BASE, make_account
from tests.slack.clicks import click_body, post
from tests.slack.conftest import RunningBot


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return lambda: NOW


@pytest.fixture(autouse=True)
def account(engine: Engine, slack: SlackStandIn) -> None:
    slack.add_user(SlackUser(id="U0GONE", name="gone", real_name="Gone Agent", deleted=True))
    slack.add_user(SlackUser(id="U0IDLE", name="idle", real_name="Idle Agent"))
    agents = [
        *BASE["agents"],
        {"user": "U0GONE", "product": "support"},
        {"user": "U0IDLE", "product": "support", "last_active": (NOW - timedelta(days=45)).isoformat()},
        {"user": "U0AG1", "product": "guide", "last_active": (NOW - timedelta(days=2)).isoformat()},
    ]
    make_account(engine, now=NOW - timedelta(days=90), agents=agents)


def _seats(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        query = "SELECT p.key, s.user_id FROM seat_assignment s JOIN product p ON p.id = s.product_id"
        return sorted((str(k), str(u)) for k, u in connection.execute(text(query)))


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == "reclaim_seat"]


def test_the_seats_to_free_are_listed_deactivated_first(bot: RunningBot) -> None:
    reply = bot.command("U0ADMIN", "reclaim")
    shown = json.dumps(reply.blocks, ensure_ascii=False)
    assert "<@U0GONE> · Support · deactivated in Slack" in shown
    assert "<@U0IDLE> · Support · inactive for 45 days" in shown
    assert "U0AG1" not in shown  # active two days ago
    buttons = _buttons(reply.blocks)
    assert [b["value"] for b in buttons] == ["support:U0GONE", "support:U0IDLE"]
    assert all(b["confirm"]["title"]["text"] == "Free this seat?" for b in buttons)


def test_in_french_and_for_one_product(bot: RunningBot) -> None:
    shown = json.dumps(bot.command("U0BILL", "récupérer guide").blocks, ensure_ascii=False)
    assert "Sièges de Guide à libérer avant d'en acheter" in shown
    assert "Aucun siège à libérer" in shown
    assert "inactif depuis 30 jours" in shown


def test_one_click_frees_the_seat_and_tells_the_person(bot: RunningBot, engine: Engine) -> None:
    bot.command("U0ADMIN", "reclaim")
    post(bot, click_body(bot, "U0ADMIN", action_id="reclaim_seat", value="support:U0IDLE"))
    bot.slack.wait_for(lambda: ("support", "U0IDLE") not in _seats(engine) or None)
    told = bot.slack.wait_for(lambda: bot.slack.dm("U0IDLE") or None)
    assert "Support" in json.dumps(told[0].blocks)
    assert ("support", "U0GONE") in _seats(engine)


def test_only_those_who_assign_seats_may_reclaim(bot: RunningBot, engine: Engine) -> None:
    before = _seats(engine)
    reply = bot.command("U0AG1", "reclaim")
    assert "reclaim_seat" not in json.dumps(reply.blocks)
    post(bot, click_body(bot, "U0AG1", action_id="reclaim_seat", value="support:U0IDLE"))
    bot.slack.wait_for(lambda: len(bot.slack.ephemerals("U0AG1")) >= 2 or None)
    assert _seats(engine) == before


FORGED = ["", "support", "support:", "nope:U0IDLE", "support:<!channel>", "x" * 500]


@pytest.mark.parametrize("forged", FORGED)
def test_a_forged_button_changes_nothing(bot: RunningBot, engine: Engine, forged: str) -> None:
    before = _seats(engine)
    post(bot, click_body(bot, "U0ADMIN", action_id="reclaim_seat", value=forged))
    bot.command("U0ADMIN", "")  # seatbot still answers, and nothing moved
    assert _seats(engine) == before


def test_the_approval_card_shows_the_net_change_once_idle_seats_are_freed(bot: RunningBot) -> None:
    from tests.slack.conftest import open_modal, submit

    form = open_modal(bot, "U0ADMIN", "request support +2")
    submit(bot, "U0ADMIN", form, {"justification": {"text": "two hires"}})
    card = bot.slack.wait_for(lambda: next(iter(bot.slack.dm("U0OWNER")), None), timeout=20)
    shown = json.dumps(card.blocks, ensure_ascii=False)
    assert "1 Support seat is held by an inactive agent and could be freed first: then only +1" in shown
    assert "/seats reclaim support" in shown
    french = bot.slack.wait_for(lambda: next(iter(bot.slack.dm("U0BILL")), None), timeout=20)
    assert "1 siège Support est occupé par un agent inactif" in json.dumps(french.blocks, ensure_ascii=False)


def test_the_out_of_seats_alert_points_at_the_seats_to_free_first(bot: RunningBot, engine: Engine) -> None:
    # Talk: 2 seats, U0AG1 and U0AG2 hold them (BASE); make U0AG2 inactive, then fill it again.
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE seat_assignment SET last_active_at = :at WHERE user_id = 'U0AG2' AND product_id = "
                "(SELECT id FROM product WHERE key = 'talk')"
            ),
            {"at": NOW - timedelta(days=60)},
        )
    bot.command("U0ADMIN", "unassign <@U0AG1|ana> talk")
    bot.command("U0ADMIN", "assign <@U0AG1|ana> talk")
    alert = bot.slack.wait_for(
        lambda: next((m for m in reversed(bot.slack.messages("C0ALERTS")) if "out of seats" in m.text), None),
        timeout=20,
    )
    shown = json.dumps(alert.blocks, ensure_ascii=False)
    assert "1 Talk seat is held by an inactive agent and could be freed first: `/seats reclaim talk`" in shown
