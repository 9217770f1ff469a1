"""App Home shows the summary, or whom to ask."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot


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
