"""App Home shows the summary, or whom to ask."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot, open_modal, submit


def test_home_tab_shows_the_summary(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    bot.driver.app_home_opened("U0OWNER")
    home = bot.slack.wait_for(lambda: bot.slack.home("U0OWNER"))
    assert home["type"] == "home"
    assert "10 seats · 2 in use · 8 free" in json.dumps(home["blocks"], ensure_ascii=False)


def test_home_tab_for_a_member_says_whom_to_ask(bot: RunningBot, engine: Engine) -> None:
    make_account(engine, now=NOW)
    bot.driver.app_home_opened("U0AG2")
    home = bot.slack.wait_for(lambda: bot.slack.home("U0AG2"))
    assert "<@U0OWNER>" in json.dumps(home["blocks"], ensure_ascii=False)
    assert "seats · " not in json.dumps(home["blocks"], ensure_ascii=False)


def test_home_ends_on_the_last_change_of_a_burst(bot: RunningBot, engine: Engine) -> None:
    """A request and its withdrawal a moment later: the approver's home, redrawn at most
    once a second, still ends without the withdrawn request in its queue."""
    make_account(engine, now=NOW)
    bot.driver.app_home_opened("U0OWNER")
    bot.slack.wait_for(lambda: bot.slack.home("U0OWNER"))
    view = open_modal(bot, "U0ADMIN", "request support +5")
    submit(bot, "U0ADMIN", view, {"justification": {"text": "New hires"}})
    assert "Request #1 withdrawn" in bot.command("U0ADMIN", "withdraw").text

    def settled_home() -> str | None:
        home = bot.slack.home("U0OWNER")
        text = json.dumps(home["blocks"], ensure_ascii=False) if home else ""
        return text if home and "approve_request" not in text else None

    assert "seats · " in bot.slack.wait_for(settled_home)


def test_only_homes_people_have_opened_are_redrawn_after_a_change(bot: RunningBot, engine: Engine) -> None:
    """A home nobody has opened is drawn when it first is; redrawing it before is work for
    nothing. Once opened, it follows every change."""
    make_account(engine, now=NOW)
    bot.driver.app_home_opened("U0BILL")
    bot.slack.wait_for(lambda: bot.slack.home("U0BILL"))
    view = open_modal(bot, "U0ADMIN", "request support +5")
    submit(bot, "U0ADMIN", view, {"justification": {"text": "New hires"}})

    def queued(user: str) -> str | None:
        home = bot.slack.home(user)
        text = json.dumps(home["blocks"], ensure_ascii=False) if home else ""
        return text if "approve_request" in text else None

    bot.slack.wait_for(lambda: queued("U0BILL"))  # opened before: redrawn with the request
    bot.slack.wait_for(lambda: len(bot.slack.dm("U0OWNER")) >= 1 or None)  # the owner was told
    assert bot.slack.home("U0OWNER") is None  # never opened: not drawn
    assert bot.slack.home("U0ADMIN") is None
    bot.driver.app_home_opened("U0OWNER")
    assert "New hires" in bot.slack.wait_for(lambda: queued("U0OWNER"))  # drawn as it is now
