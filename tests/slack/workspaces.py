"""seatbot served in OAuth mode (many workspaces), and workspaces installing it the way an
installer's browser does: the Add to Slack page, Allow, Slack's redirect back."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Engine

from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.server import SeatbotWSGI, start_in_background
from standin import SlackDriver, SlackStandIn
from tests.slack.conftest import SIGNING_SECRET, RunningBot

CLIENT_ID, CLIENT_SECRET = "111.222", "oauth-client-secret"


@dataclass
class OAuthBot:
    """seatbot with SLACK_CLIENT_ID/SECRET: every request is authorized from the installations."""

    url: str
    deps: Deps
    slack: SlackStandIn
    """The stand-in whose server every workspace shares (itself a workspace)."""

    def install(self, team: SlackStandIn, *, user_id: str) -> tuple[int, str]:
        """`user_id` of `team` installs seatbot: returns the redirect page's status and text."""
        status, page, headers = get(f"{self.url}/slack/install")
        assert status == 200
        cookie = headers["Set-Cookie"].split(";")[0]
        [authorize] = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page)
        authorize = html.unescape(authorize)
        assert authorize.startswith(self.slack.base_url)  # beside SLACK_API_URL
        redirect = self.slack.authorize(authorize, user_id=user_id, team_id=team.team_id)
        status, page, _ = get(redirect, cookie)
        return status, page

    def driver(self, team: SlackStandIn) -> SlackDriver:
        """The people of `team`, sending what Slack sends from that workspace."""
        return SlackDriver(bot_url=f"{self.url}/slack/events", signing_secret=SIGNING_SECRET, standin=team)

    def workspace(self, team: SlackStandIn) -> RunningBot:
        """seatbot as seen from `team` (for the helpers written for one workspace)."""
        return RunningBot(self.url, self.driver(team), team, self.deps)


@contextmanager
def serving_oauth(engine: Engine, slack: SlackStandIn, db_url: str) -> Iterator[OAuthBot]:
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
        yield OAuthBot(server.url, app._seatbot_deps, slack)  # type: ignore[attr-defined]
    finally:
        server.stop()
        app._seatbot_deps.close()  # type: ignore[attr-defined]


def get(
    url: str, cookie: str | None = None, *, language: str | None = None
) -> tuple[int, str, dict[str, str]]:
    headers = {"Cookie": cookie} if cookie else {}
    if language:
        headers["Accept-Language"] = language
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode(), dict(refused.headers)
