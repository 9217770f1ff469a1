"""Which Web API client speaks for a workspace: the "client for team" provider.

One bot token serves one workspace (`OneWorkspace`, the default); with OAuth
each workspace has its own bot token in the installation store
(`InstalledWorkspaces`). The sender, the App Home refresher and the user
directories ask for a workspace's client by its team id; listeners get theirs
from Bolt, which authorizes every request from the same store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, InstallationStore

from bot.slack.client import make_web_client
from bot.slack.users import UserDirectory

logger = logging.getLogger(__name__)

TOKEN_TTL = 60.0
"""Seconds a workspace's bot token is kept before the store is read again. An uninstall
seen by this replica forgets it at once; one seen by another replica within a minute."""


class Workspaces(Protocol):
    def client(self, team_id: str) -> WebClient | None:
        """The client with the workspace's bot token; None if seatbot is not installed there."""

    def users(self, team_id: str) -> UserDirectory:
        """The workspace's people, looked up with its own token."""

    def installer(self, team_id: str) -> str | None:
        """Who installed seatbot in the workspace, when it is known (OAuth installs)."""

    def forget(self, team_id: str) -> None:
        """Drop what is kept of the workspace (a new install: its token changed)."""

    def close(self, timeout: float = 10.0) -> None:
        """Let the reads of people's directories in progress end (shutdown, tests)."""

    def uninstall(self, team_id: str) -> None:
        """seatbot was uninstalled from the workspace (or its bot token revoked)."""


class OneWorkspace:
    """Single-workspace mode: one bot token, whatever the team id."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._users = UserDirectory(client)

    def client(self, team_id: str) -> WebClient | None:
        return self._client

    def users(self, team_id: str) -> UserDirectory:
        return self._users

    def installer(self, team_id: str) -> str | None:
        """A token pasted from the app's settings page says nothing of who installed it."""
        return None

    def forget(self, team_id: str) -> None:
        """One token, nothing kept per workspace."""

    def close(self, timeout: float = 10.0) -> None:
        self._users.close(timeout)

    def uninstall(self, team_id: str) -> None:
        """The token stops working; nothing to remove (the account is paused)."""


class InstalledWorkspaces:
    """OAuth mode: each workspace's bot from the installation store, kept TOKEN_TTL."""

    def __init__(
        self,
        store: InstallationStore,
        *,
        base_url: str,
        ttl: float = TOKEN_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self._base_url = base_url
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._bots: dict[str, tuple[float, Bot | None]] = {}
        self._clients: dict[str, WebClient] = {}
        self._users: dict[str, UserDirectory] = {}

    def bot(self, team_id: str) -> Bot | None:
        """The workspace's installed bot (token, ids); None if seatbot is not installed there."""
        now = self._clock()
        with self._lock:
            cached = self._bots.get(team_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        with self._lock:
            self._bots[team_id] = (now, bot)
        return bot

    def client(self, team_id: str) -> WebClient | None:
        bot = self.bot(team_id)
        if bot is None or not bot.bot_token:
            return None
        with self._lock:
            client = self._clients.get(team_id)
            if client is None or client.token != bot.bot_token:
                client = make_web_client(token=bot.bot_token, base_url=self._base_url)
                self._clients[team_id] = client
        return client

    def users(self, team_id: str) -> UserDirectory:
        with self._lock:
            directory = self._users.get(team_id)
            if directory is None:
                directory = UserDirectory(client_for=lambda: self.client(team_id))
                self._users[team_id] = directory
        return directory

    def installer(self, team_id: str) -> str | None:
        """The person who last installed seatbot there, from the installation store."""
        installation = self.store.find_installation(enterprise_id=None, team_id=team_id)
        return installation.user_id if installation is not None else None

    def forget(self, team_id: str) -> None:
        """Drop what is kept of the workspace; the store is read again next time."""
        with self._lock:
            self._bots.pop(team_id, None)
            self._clients.pop(team_id, None)
            self._users.pop(team_id, None)

    def close(self, timeout: float = 10.0) -> None:
        with self._lock:
            directories = list(self._users.values())
        for directory in directories:
            directory.close(timeout)

    def uninstall(self, team_id: str) -> None:
        """Remove the workspace's installation and bot from the store, and forget them."""
        self.store.delete_bot(enterprise_id=None, team_id=team_id)
        self.store.delete_installation(enterprise_id=None, team_id=team_id)
        self.forget(team_id)
