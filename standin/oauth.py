"""The app's OAuth side of Slack: the authorize page a person approves, and the codes
``oauth.v2.access`` exchanges for a workspace's bot token.

Slack shows the installer an "Allow" page at ``https://slack.com/oauth/v2/authorize``;
here :meth:`OAuthApp.authorize` plays the person pressing Allow (or the
stand-in's own ``GET /oauth/v2/authorize``), and returns the redirect to the
app's redirect URL with a one-time ``code`` and the app's ``state``.

Locking: the state here is guarded by ``lock`` (its own, so that no workspace lock
is ever held while taking it, or the other way round).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

from standin.errors import ApiError
from standin.workspace import Workspace

CODE_TTL = 600.0
"""Seconds a code can be exchanged, as Slack documents (10 minutes), and only once."""


@dataclass(frozen=True)
class Installed:
    """A workspace the app can be installed in: its state and its bot token."""

    ws: Workspace
    bot_token: str


@dataclass
class _Code:
    team_id: str
    user_id: str
    scopes: str
    redirect_uri: str | None
    issued_at: float
    used: bool = False


class OAuthApp:
    """Client credentials of the app, the codes handed out, and the workspaces it knows."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.lock = threading.Lock()
        self.clock = clock
        self.client_id: str | None = None
        self.client_secret: str | None = None
        self.redirect_url: str | None = None
        self.teams: dict[str, Installed] = {}
        self._codes: dict[str, _Code] = {}

    def configure(self, *, client_id: str, client_secret: str, redirect_url: str | None) -> None:
        with self.lock:
            self.client_id, self.client_secret, self.redirect_url = client_id, client_secret, redirect_url

    def forget_codes(self) -> None:
        with self.lock:
            self._codes.clear()

    def authorize(self, authorize_url: str, *, team_id: str, user_id: str) -> str:
        """The person pressed Allow on the authorize page: the redirect Slack sends them to.

        Raises AssertionError for what Slack's page itself would refuse to show (an
        unknown client_id, a redirect_uri that is not the app's, an unknown team).
        """
        query = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
        with self.lock:
            if self.client_id is None or query.get("client_id") != self.client_id:
                raise AssertionError(f"Slack shows 'invalid client_id' for {authorize_url}")
            if team_id not in self.teams:
                raise AssertionError(f"unknown team {team_id}")
            redirect = query.get("redirect_uri") or self.redirect_url
            if redirect is None:
                raise AssertionError("the app has no redirect URL")
            if self.redirect_url is not None and redirect != self.redirect_url:
                raise AssertionError(f"Slack shows 'redirect_uri did not match' for {redirect}")
            code = f"{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
            self._codes[code] = _Code(
                team_id=team_id,
                user_id=user_id,
                scopes=query.get("scope", ""),
                redirect_uri=query.get("redirect_uri"),
                issued_at=self.clock(),
            )
        answer = {"code": code}
        if "state" in query:
            answer["state"] = query["state"]
        separator = "&" if urlsplit(redirect).query else "?"
        return f"{redirect}{separator}{urlencode(answer)}"

    def exchange(
        self, *, client_id: str | None, client_secret: str | None, code: str | None, redirect_uri: str | None
    ) -> tuple[Installed, _Code]:
        """What ``oauth.v2.access`` checks, in Slack's order; the code is used up."""
        with self.lock:
            if not client_id or client_id != self.client_id:
                raise ApiError("invalid_client_id")
            if client_secret != self.client_secret:
                raise ApiError("bad_client_secret")
            grant = self._codes.get(code or "")
            if grant is None or grant.used or self.clock() - grant.issued_at > CODE_TTL:
                raise ApiError("invalid_code")
            if grant.redirect_uri is not None and redirect_uri != grant.redirect_uri:
                raise ApiError("bad_redirect_uri")
            grant.used = True
            team = self.teams.get(grant.team_id)
            if team is None:
                raise ApiError("invalid_code")
            return team, grant
