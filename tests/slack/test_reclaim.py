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
    _still_answers(bot)
    assert _seats(engine) == before


def _still_answers(bot: RunningBot) -> None:
    """seatbot answers a summary after what came before (whose own answer, if any, may land
    before or after it)."""
    seen = len(bot.slack.ephemerals("U0ADMIN"))
    assert bot.driver.slash_command("U0ADMIN", "").status == 200
    bot.slack.wait_for(
        lambda: [m for m in bot.slack.ephemerals("U0ADMIN")[seen:] if m.text.startswith("Seats of")] or None
    )


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


def _deactivated(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        query = "SELECT DISTINCT user_id FROM seat_assignment WHERE deactivated_at IS NOT NULL"
        return sorted(str(u) for (u,) in connection.execute(text(query)))


def _card_for_two_more_support_seats(bot: RunningBot) -> tuple[str, str]:
    from tests.slack.conftest import open_modal, submit

    form = open_modal(bot, "U0ADMIN", "request support +2")
    submit(bot, "U0ADMIN", form, {"justification": {"text": "two hires"}})
    english = bot.slack.wait_for(lambda: next(iter(bot.slack.dm("U0OWNER")), None), timeout=20)
    french = bot.slack.wait_for(lambda: next(iter(bot.slack.dm("U0BILL")), None), timeout=20)
    return (json.dumps(english.blocks, ensure_ascii=False), json.dumps(french.blocks, ensure_ascii=False))


def test_someone_slack_deactivates_is_counted_on_the_approval_card(bot: RunningBot, engine: Engine) -> None:
    assert bot.driver.set_deactivated("U0GONE").status == 200
    bot.slack.wait_for(lambda: _deactivated(engine) == ["U0GONE"] or None)
    english, french = _card_for_two_more_support_seats(bot)
    # U0GONE (deactivated) and U0IDLE (idle 45 days) hold the two seats the request asks for.
    assert (
        "2 Support seats are held by inactive agents and could be freed first: "
        "that covers this request without buying (`/seats reclaim support`)"
    ) in english
    assert "2 sièges Support sont occupés par des agents inactifs" in french
    assert "sans rien acheter" in french


def test_someone_back_in_slack_is_no_longer_counted(bot: RunningBot, engine: Engine) -> None:
    bot.driver.set_deactivated("U0GONE")
    bot.slack.wait_for(lambda: _deactivated(engine) == ["U0GONE"] or None)
    bot.driver.set_deactivated("U0GONE", False)
    bot.slack.wait_for(lambda: _deactivated(engine) == [] or None)
    english, _ = _card_for_two_more_support_seats(bot)
    assert "1 Support seat is held by an inactive agent and could be freed first: then only +1" in english


def test_reclaim_records_who_slack_says_is_deactivated_for_the_cards(bot: RunningBot, engine: Engine) -> None:
    # U0GONE left before any event could tell seatbot: the directory read by /seats reclaim does.
    assert _deactivated(engine) == []
    bot.command("U0ADMIN", "reclaim")
    assert _deactivated(engine) == ["U0GONE"]
    english, _ = _card_for_two_more_support_seats(bot)
    assert "2 Support seats are held by inactive agents" in english


def test_the_out_of_seats_alert_counts_a_deactivated_holder(bot: RunningBot, engine: Engine) -> None:
    bot.driver.set_deactivated("U0AG2")  # holds a Talk seat (2 of 2 used)
    bot.slack.wait_for(lambda: _deactivated(engine) == ["U0AG2"] or None)
    bot.command("U0ADMIN", "unassign <@U0AG1|ana> talk")
    bot.command("U0ADMIN", "assign <@U0AG1|ana> talk")
    alert = bot.slack.wait_for(
        lambda: next((m for m in reversed(bot.slack.messages("C0ALERTS")) if "out of seats" in m.text), None),
        timeout=20,
    )
    assert "1 Talk seat is held by an inactive agent" in json.dumps(alert.blocks, ensure_ascii=False)


FORGED_CHANGES: list[Any] = [
    None,
    "U0GONE",
    {},
    {"id": "U0GONE"},
    {"id": "U0GONE", "deleted": "true"},
    {"id": "<!channel>", "deleted": True},
    {"id": ["U0GONE"], "deleted": True},
    {"id": "U0GONE" * 100, "deleted": True},
]


@pytest.mark.parametrize("user", FORGED_CHANGES)
def test_a_malformed_user_change_changes_nothing(bot: RunningBot, engine: Engine, user: Any) -> None:
    assert bot.driver.event({"type": "user_change", "user": user}).status == 200
    _still_answers(bot)
    assert _deactivated(engine) == []


def test_a_user_change_from_another_workspace_marks_nothing_here(bot: RunningBot, engine: Engine) -> None:
    from standin import SlackDriver
    from tests.slack.conftest import SIGNING_SECRET

    other = SlackDriver(
        bot_url=bot.driver.bot_url, signing_secret=SIGNING_SECRET, standin=bot.slack, team_id="T0OTHER"
    )
    gone = {"id": "U0GONE", "team_id": "T0OTHER", "deleted": True}
    assert other.event({"type": "user_change", "user": gone}).status == 200
    _still_answers(bot)
    assert _deactivated(engine) == []
