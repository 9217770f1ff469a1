"""OAuth mode: seatbot installed in many workspaces, each with its own bot token.

Bolt runs the install flow (`GET /slack/install`, `GET /slack/oauth_redirect`)
with slack_sdk's SQLAlchemy installation and state stores on seatbot's engine
(their tables come from migration 0005, never from the stores' create_tables).
Every request is authorized from the installation store, through the same
short-lived cache the sender and the App Home refresher use, so that
authorizing costs no Slack call on the ack path (Bolt's own store authorizer
calls auth.test on every request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.messages.install_pages import failed_page, install_page, installed_page, language_of
from bot.runtime.config import SLACK_API_URL, Settings
from bot.slack.workspaces import InstalledWorkspaces
from storage.oauth_tables import BOTS, INSTALLATIONS, STATES

logger = logging.getLogger(__name__)

BOT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "users:read",
    "im:history",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
    "channels:join",
)
"""The bot scopes asked for at install: those of manifest.yml (a test holds them equal)."""
STATE_TTL = 600
"""Seconds an install started at /slack/install may take to come back."""


class InstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's store on seatbot's database, telling seatbot when a workspace installs."""

    def __init__(self, client_id: str, engine: Engine, *, on_saved: Callable[[Installation], None]) -> None:
        super().__init__(
            client_id=client_id, engine=engine, bots_table_name=BOTS, installations_table_name=INSTALLATIONS
        )
        self._on_saved = on_saved

    def save(self, installation: Installation) -> None:
        super().save(installation)
        self._on_saved(installation)


class StoreAuthorize(Authorize):
    """Bolt's authorize: the request's workspace's bot, from the store (cached briefly).

    None for a workspace seatbot is not installed in: Bolt then refuses the request.
    """

    def __init__(self, workspaces: InstalledWorkspaces) -> None:  # Authorize's own __init__ does nothing
        self._workspaces = workspaces

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = self._workspaces.bot(team_id) if team_id else None
        if bot is None or not bot.bot_token:
            logger.warning("request from a workspace seatbot is not installed in team=%s", team_id)
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_user_id=bot.bot_user_id,
            bot_id=bot.bot_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )


def authorization_url(api_url: str) -> str | None:
    """Slack's authorize page beside the Web API when SLACK_API_URL points elsewhere
    (a stand-in, a proxy): `http://host/api/` → `http://host/oauth/v2/authorize`."""
    if api_url == SLACK_API_URL:
        return None  # Bolt's default, https://slack.com/oauth/v2/authorize
    parts = urlsplit(api_url)
    path = parts.path.rstrip("/").removesuffix("/api") + "/oauth/v2/authorize"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def oauth_flow(
    settings: Settings, *, engine: Engine, client: WebClient, on_installed: Callable[[Installation], None]
) -> tuple[OAuthFlow, InstallationStore]:
    """Bolt's install flow on seatbot's database; `client` (no token) reaches SLACK_API_URL."""
    assert settings.slack_client_id is not None
    assert settings.slack_client_secret is not None
    store = InstallationStore(settings.slack_client_id, engine, on_saved=on_installed)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=STATE_TTL, engine=engine, table_name=STATES)
    flow = SeatbotOAuthFlow(
        client=client,
        settings=OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret.get_secret_value(),
            scopes=list(BOT_SCOPES),
            redirect_uri=settings.slack_redirect_uri,
            authorization_url=authorization_url(settings.slack_api_url),
            installation_store=store,
            installation_store_bot_only=True,
            state_store=states,
            state_expiration_seconds=STATE_TTL,
            callback_options=CallbackOptions(success=_installed, failure=_not_installed),
        ),
    )
    return flow, store


class SeatbotOAuthFlow(OAuthFlow):
    """Bolt's install flow, with seatbot's own pages in the visitor's language."""

    def build_install_page_html(self, url: str, request: BoltRequest) -> str:
        return install_page(url, _language(request))


def _language(request: BoltRequest) -> str:
    header = request.headers.get("accept-language") or []
    return language_of(header[0] if header else None)


def _page(status: int, body: str) -> BoltResponse:
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def _installed(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    app_url = f"slack://app?team={installation.team_id}&id={installation.app_id}"
    name = installation.team_name or installation.team_id or ""
    return _page(200, installed_page(name, app_url, _language(args.request)))


def _not_installed(args: FailureArgs) -> BoltResponse:
    page = failed_page(args.reason, args.settings.install_path, _language(args.request))
    return _page(args.suggested_status_code, page)
