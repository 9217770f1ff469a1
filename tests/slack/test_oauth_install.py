"""OAuth: a workspace installs seatbot through /slack/install and Slack's redirect, is
served with its own bot token, and is paused (its data kept) when it uninstalls."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.clock import utcnow
from bot.runtime.config import ConflictingCredentials, Settings
from bot.runtime.oauth import BOT_SCOPES
from standin import SlackStandIn
from storage.engine import unit_of_work
from storage.models import Account, AuditEvent
from tests.factories import make_account
from tests.slack.conftest import PEOPLE
from tests.slack.workspaces import CLIENT_ID, CLIENT_SECRET, OAuthBot, get, serving_oauth

GLOBEX = "T0GLOBEX"


@pytest.fixture
def globex(slack: SlackStandIn) -> Iterator[SlackStandIn]:
    """A second workspace on the stand-in's server, with the same people."""
    team = slack.add_team(GLOBEX, "Globex")
    for person in PEOPLE:
        team.add_user(person)
    yield team
    assert team.api_errors() == [], team.dump()


@pytest.fixture
def oauth_bot(engine: Engine, slack: SlackStandIn, db_url: str) -> Iterator[OAuthBot]:
    with serving_oauth(engine, slack, db_url) as bot:
        yield bot


def install(bot: OAuthBot, team: SlackStandIn, *, user_id: str = "U0OWNER") -> tuple[int, str]:
    return bot.install(team, user_id=user_id)


def test_install_then_serve_the_workspace_with_its_own_token(
    oauth_bot: OAuthBot, slack: SlackStandIn, globex: SlackStandIn, engine: Engine
) -> None:
    status, _ = install(oauth_bot, globex)
    assert status == 200
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    bot = store.find_bot(enterprise_id=None, team_id=GLOBEX)
    assert bot is not None
    assert bot.bot_token == globex.bot_token
    assert set(bot.bot_scopes or []) == set(BOT_SCOPES)
    make_account(engine, now=utcnow(), team_id=GLOBEX)

    driver = oauth_bot.driver(globex)
    seen = len(globex.ephemerals("U0OWNER"))
    assert driver.slash_command("U0OWNER", "").status == 200
    [summary] = globex.wait_for(lambda: globex.ephemerals("U0OWNER")[seen:] or None)
    assert "Support" in summary.text or "Support" in str(summary.blocks)
    # The App Home is drawn with Globex's token: the call lands in Globex, not in the first workspace.
    assert driver.app_home_opened("U0OWNER").status == 200
    globex.wait_for(lambda: globex.home("U0OWNER"))
    assert globex.calls_to("users.info")
    assert slack.calls_to("views.publish") == []
    assert slack.calls_to("users.info") == []


def test_uninstall_removes_the_installation_and_keeps_the_account(
    oauth_bot: OAuthBot, slack: SlackStandIn, globex: SlackStandIn, engine: Engine
) -> None:
    install(oauth_bot, globex)
    make_account(engine, now=utcnow(), team_id=GLOBEX)
    driver = oauth_bot.driver(globex)
    assert driver.event({"type": "app_uninstalled"}).status == 200
    slack.revoke(GLOBEX)
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)

    def paused() -> Account | None:
        with unit_of_work(engine) as session:
            account = session.exec(select(Account).where(Account.team_id == GLOBEX)).one()
            return account if account.uninstalled_at is not None else None

    account = slack.wait_for(paused)
    assert store.find_bot(enterprise_id=None, team_id=GLOBEX) is None
    with unit_of_work(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.account_id == account.id)).all()
    assert "account.uninstalled" in actions
    # A request from the uninstalled workspace is refused calmly.
    assert driver.slash_command("U0OWNER", "").status == 200
    # Installing again resumes the account.
    install(oauth_bot, globex)
    with unit_of_work(engine) as session:
        again = session.exec(select(Account).where(Account.team_id == GLOBEX)).one()
    assert again.uninstalled_at is None


def test_a_workspace_that_never_installed_is_refused_calmly(oauth_bot: OAuthBot, slack: SlackStandIn) -> None:
    driver = oauth_bot.driver(slack)
    assert driver.slash_command("U0OWNER", "").status == 200
    # The first workspace has no installation: nothing reached a listener.
    assert slack.calls_to("users.info") == []


def test_the_manifest_asks_for_the_scopes_of_the_install() -> None:
    import pathlib

    import yaml

    manifest = yaml.safe_load((pathlib.Path(__file__).parents[2] / "manifest.yml").read_text())
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES)
    assert manifest["oauth_config"]["redirect_urls"]
    assert {"app_uninstalled", "tokens_revoked"} <= set(
        manifest["settings"]["event_subscriptions"]["bot_events"]
    )


def test_a_bad_state_or_code_is_refused_without_a_server_error(oauth_bot: OAuthBot) -> None:
    status, _, _ = get(f"{oauth_bot.url}/slack/oauth_redirect?code=made-up&state=forged")
    assert 400 <= status < 500


def test_a_bot_token_and_oauth_credentials_together_are_refused() -> None:
    settings = Settings(
        _env_file=None,
        slack_bot_token="xoxb-one",
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
    )
    with pytest.raises(ConflictingCredentials, match="unset"):
        settings.require("serve")


def test_the_install_pages_speak_the_visitors_language(oauth_bot: OAuthBot, globex: SlackStandIn) -> None:
    status, page, _ = get(f"{oauth_bot.url}/slack/install", language="fr-FR,fr;q=0.9,en;q=0.8")
    assert status == 200
    assert '<html lang="fr">' in page
    assert "Ajouter à Slack" in page
    status, page, _ = get(f"{oauth_bot.url}/slack/install", language="de-DE")
    assert "Add to Slack" in page  # a language seatbot does not speak: English
    status, page = install(oauth_bot, globex)
    assert status == 200
    assert "seatbot is installed" in page
    assert "type /seats" in page


def test_a_failed_install_says_so_in_its_own_words(oauth_bot: OAuthBot) -> None:
    status, page, _ = get(f"{oauth_bot.url}/slack/oauth_redirect?error=access_denied&state=x", language="fr")
    assert status < 500
    assert "seatbot n'a pas été installé" in html.unescape(page)
    assert "/slack/install" in page
    assert "<script" not in page
