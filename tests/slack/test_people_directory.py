"""People's languages are known before they ask: the first newcomer starts a read of the
workspace's directory, and the rest of the team is answered without a users.info each."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.slack.users import UserDirectory
from standin import SlackStandIn
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import TEAM, RunningBot


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _looked_up(slack: SlackStandIn) -> list[str]:
    return [str(call.params.get("user")) for call in slack.calls_to("users.info")]


def _directory_read(bot: RunningBot) -> None:
    bot.deps.people(TEAM).close()  # waits (bounded) for the read in progress


def test_after_the_first_newcomer_the_team_is_answered_without_asking_slack(
    bot: RunningBot, account: None
) -> None:
    assert bot.command("U0ADMIN").text == "Seats of Acme Support"
    _directory_read(bot)
    assert bot.command("U0BILL").text == "Sièges de Acme Support"  # her French, from the directory
    assert bot.command("U0OWNER").text == "Seats of Acme Support"
    assert _looked_up(bot.slack) == ["U0ADMIN"]
    listed = bot.slack.calls_to("users.list")
    assert len(listed) == 1
    assert listed[0].params.get("include_locale") in (True, "true", "1", 1)


def test_the_directory_is_read_once_for_many_newcomers(bot: RunningBot, account: None) -> None:
    for user in ("U0ADMIN", "U0BILL", "U0OWNER", "U0AG2"):
        bot.command(user)
    _directory_read(bot)
    assert len(bot.slack.calls_to("users.list")) == 1


def test_someone_who_changes_language_is_answered_in_the_new_one(bot: RunningBot, account: None) -> None:
    bot.command("U0ADMIN")
    _directory_read(bot)
    assert bot.driver.change_user("U0BILL", locale="en-US").status == 200
    bot.slack.wait_for(lambda: bot.command("U0BILL").text == "Seats of Acme Support" or None)
    assert _looked_up(bot.slack) == ["U0ADMIN", "U0BILL"]  # asked again after the change


def test_a_directory_slack_refuses_to_list_changes_nothing_for_people(
    bot: RunningBot, account: None, caplog: pytest.LogCaptureFixture
) -> None:
    bot.slack.fail_next("users.list", error="fatal_error", status=200)
    with caplog.at_level(logging.WARNING):
        assert bot.command("U0ADMIN").text == "Seats of Acme Support"
        _directory_read(bot)
        assert bot.command("U0BILL").text == "Sièges de Acme Support"  # looked up on her own
    assert _looked_up(bot.slack) == ["U0ADMIN", "U0BILL"]
    assert "people directory not read error=fatal_error" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_sender_shares_what_is_known_of_people(bot: RunningBot, account: None) -> None:
    """The sender looks people up through its own client, but what is known is shared."""
    bot.command("U0ADMIN")
    _directory_read(bot)
    sender_view = bot.deps.people(TEAM).through(WebClient(token="xoxb-none", base_url="http://127.0.0.1:9/"))
    profile = sender_view.lookup("U0BILL")  # would fail if it had to ask Slack through that client
    assert profile is not None
    assert profile.language == "fr"


# -- the directory alone, against the stand-in ---------------------------------------


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.api_url)


@pytest.fixture
def directory(client: WebClient) -> Iterator[UserDirectory]:
    directory = UserDirectory(client, size=3)
    yield directory
    directory.close()


def test_no_more_people_are_kept_than_the_directory_holds(
    directory: UserDirectory, slack: SlackStandIn, client: WebClient
) -> None:
    directory.lookup("U0OWNER")
    directory.close()
    listed = [str(member["id"]) for member in client.users_list(limit=200)["members"]]
    kept, rest = listed[:3], listed[3:]
    assert len(rest) >= 2
    for user in listed:
        directory.lookup(user)
    # The first look-up asked; the read kept the first three listed; the others are asked for.
    assert _looked_up(slack) == ["U0OWNER", *rest]
    assert not set(kept) & set(rest)


def test_a_page_read_while_someone_changed_is_not_kept(slack: SlackStandIn) -> None:
    real = WebClient(token=slack.bot_token, base_url=slack.api_url)

    class ChangedMidRead(WebClient):
        """users.list whose page is answered just after someone's user_change arrived."""

        def users_list(self, **kwargs: Any) -> Any:  # type: ignore[override]
            pages = real.users_list(**kwargs)
            directory.forget("U0BILL")
            return pages

    directory = UserDirectory(ChangedMidRead(token=slack.bot_token, base_url=slack.api_url))
    assert "U0BILL" in {person.user_id for person in directory.everyone()}
    directory.lookup("U0BILL")
    directory.lookup("U0ADMIN")
    assert _looked_up(slack) == ["U0BILL", "U0ADMIN"]  # that page said what they were before


def test_a_directory_answer_not_as_documented_leaves_people_to_be_looked_up_one_by_one(
    slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    class Garbled(WebClient):
        def users_list(self, **kwargs: Any) -> Any:  # type: ignore[override]
            return [{"ok": True}]  # no members

    directory = UserDirectory(Garbled(token=slack.bot_token, base_url=slack.api_url))
    with caplog.at_level(logging.WARNING):
        assert directory.language("U0BILL") == "fr"
        directory.close()
        assert directory.language("U0ADMIN") == "en"
    assert _looked_up(slack) == ["U0BILL", "U0ADMIN"]
    assert "people directory not read" in caplog.text
