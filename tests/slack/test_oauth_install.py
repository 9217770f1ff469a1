"""OAuth: a workspace installs seatbot through /slack/install and Slack's redirect, is
served with its own bot token, and is paused (its data kept) when it uninstalls."""

from __future__ import annotations

import html
import re
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.clock import utcnow
from bot.runtime.app import create_app
from bot.runtime.config import ConflictingCredentials, Settings
from bot.runtime.deps import Deps
from bot.runtime.oauth import BOT_SCOPES
from bot.runtime.server import SeatbotWSGI, start_in_background
from standin import SlackDriver, SlackStandIn
from storage.engine import unit_of_work
from storage.models import Account, AuditEvent
from tests.factories import make_account
from tests.slack.conftest import PEOPLE, SIGNING_SECRET

GLOBEX = "T0GLOBEX"
CLIENT_ID, CLIENT_SECRET = "111.222", "oauth-client-secret"


@dataclass
class OAuthBot:
    url: str
    deps: Deps
    globex: SlackStandIn


@pytest.fixture
def oauth_bot(engine: Engine, slack: SlackStandIn, db_url: str) -> Iterator[OAuthBot]:
    globex = slack.add_team(GLOBEX, "Globex")
    for person in PEOPLE:
        globex.add_user(person)
    settings = Settings(
        _env_file=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db_url,
    )
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="listener")
    app = create_app(settings, engine=engine, executor=executor)
    server = start_in_background(SeatbotWSGI(app, engine))
    slack.configure_oauth(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_url=f"{server.url}/slack/oauth_redirect"
    )
    try:
        yield OAuthBot(server.url, app._seatbot_deps, globex)  # type: ignore[attr-defined]
    finally:
        server.stop()
        app._seatbot_deps.close()  # type: ignore[attr-defined]
        assert globex.api_errors() == [], globex.dump()


def get(url: str, cookie: str | None = None) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode(), dict(refused.headers)


def install(bot: OAuthBot, slack: SlackStandIn, *, user_id: str = "U0OWNER") -> tuple[int, str]:
    """What the installer's browser does: the Add to Slack page, Allow, the redirect back."""
    status, page, headers = get(f"{bot.url}/slack/install")
    assert status == 200
    cookie = headers["Set-Cookie"].split(";")[0]
    [authorize] = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page)
    authorize = html.unescape(authorize)
    assert authorize.startswith(slack.base_url)  # beside SLACK_API_URL
    redirect = slack.authorize(authorize, user_id=user_id, team_id=GLOBEX)
    status, page, _ = get(redirect, cookie)
    return status, page


def test_install_then_serve_the_workspace_with_its_own_token(
    oauth_bot: OAuthBot, slack: SlackStandIn, engine: Engine
) -> None:
    status, _ = install(oauth_bot, slack)
    assert status == 200
    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    bot = store.find_bot(enterprise_id=None, team_id=GLOBEX)
    assert bot is not None
    assert bot.bot_token == oauth_bot.globex.bot_token
    assert set(bot.bot_scopes or []) == set(BOT_SCOPES)
    make_account(engine, now=utcnow(), team_id=GLOBEX)

    globex = oauth_bot.globex
    driver = SlackDriver(
        bot_url=f"{oauth_bot.url}/slack/events", signing_secret=SIGNING_SECRET, standin=globex
    )
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
    oauth_bot: OAuthBot, slack: SlackStandIn, engine: Engine
) -> None:
    install(oauth_bot, slack)
    make_account(engine, now=utcnow(), team_id=GLOBEX)
    driver = SlackDriver(
        bot_url=f"{oauth_bot.url}/slack/events", signing_secret=SIGNING_SECRET, standin=oauth_bot.globex
    )
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
    install(oauth_bot, slack)
    with unit_of_work(engine) as session:
        again = session.exec(select(Account).where(Account.team_id == GLOBEX)).one()
    assert again.uninstalled_at is None


def test_a_workspace_that_never_installed_is_refused_calmly(oauth_bot: OAuthBot, slack: SlackStandIn) -> None:
    driver = SlackDriver(
        bot_url=f"{oauth_bot.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack
    )
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
