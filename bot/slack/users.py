"""Slack profiles (locale, time zone, name), looked up once and cached.

users.info is rate-limited (Tier 4), and every message needs the reader's
language, so profiles are kept for a while; a failed lookup falls back to
English rather than failing the request.

The first person not yet known also starts a read of the whole directory
(users.list with locales, in the background, at most every SWEEP_EVERY): when
a whole team runs /seats after an announcement, only the first few wait for a
users.info round trip to Slack before their answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.messages.i18n import DEFAULT_LANGUAGE, language_for
from bot.services.ledger import Person
from bot.services.text import fold

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    locale: str | None
    tz: str
    is_bot: bool
    deleted: bool

    names: frozenset[str] = frozenset()
    """Folded handle, display name and real name, for lookups by name."""
    workspace_admin: bool = False
    """A Slack workspace admin or owner (users.info `is_admin` / `is_owner`)."""

    @property
    def language(self) -> str:
        return language_for(self.locale)

    @property
    def person(self) -> Person:
        """What the seat ledger needs to know of them (it takes no Slack types)."""
        return Person(self.user_id, is_bot=self.is_bot, deactivated=self.deleted)


def _profile(user: dict[str, Any]) -> Profile:
    profile = user.get("profile") or {}
    names = {user.get("name"), user.get("real_name"), profile.get("display_name"), profile.get("real_name")}
    return Profile(
        user_id=str(user["id"]),
        name=user.get("real_name") or profile.get("real_name") or user.get("name") or str(user["id"]),
        locale=user.get("locale"),
        tz=user.get("tz") or "UTC",
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
        names=frozenset(fold(n) for n in names if n),
        workspace_admin=bool(user.get("is_admin")) or bool(user.get("is_owner")),
    )


SWEEP_EVERY = 600.0
"""Seconds between two reads of a workspace's whole directory (users.list is Tier 2)."""
SWEEP_PAGE = 200
"""People per users.list page (Slack's recommended page size)."""


class _Kept:
    """What is known of one workspace's people, shared by every client that looks them up."""

    def __init__(self, *, ttl_seconds: int, size: int) -> None:
        self.lock = threading.Lock()
        self.profiles: TTLCache[str, Profile] = TTLCache(maxsize=size, ttl=ttl_seconds)
        self.everyone: TTLCache[str, list[Profile]] = TTLCache(maxsize=1, ttl=300)
        self.changes = 0
        """Counts `forget`s: a directory page read before one is not kept (it may be stale)."""
        self.swept_at: float | None = None
        """When the last read of the whole directory started (monotonic)."""
        self.sweeping: threading.Thread | None = None


class UserDirectory:
    """One workspace's people. `client_for` gives the workspace's current client (OAuth:
    its token may change on a reinstall, or be gone after an uninstall: nobody is found)."""

    def __init__(
        self,
        client: WebClient | None = None,
        *,
        client_for: Callable[[], WebClient | None] | None = None,
        ttl_seconds: int = 3600,
        size: int = 10_000,
        kept: _Kept | None = None,
    ) -> None:
        if (client is None) == (client_for is None):
            raise ValueError("give a client or a way to find one, not both")
        self._client_for: Callable[[], WebClient | None] = client_for or (lambda: client)
        self._kept = kept or _Kept(ttl_seconds=ttl_seconds, size=size)
        self._lock = self._kept.lock

    def through(self, client: WebClient) -> UserDirectory:
        """The same people (what is known of them is shared), looked up with another client:
        the sender's, whose calls never retry nor outlast its lease."""
        return UserDirectory(client, kept=self._kept)

    def profile(self, user_id: str) -> Profile | None:
        """The user's profile, or None if Slack does not know them (or could not say)."""
        try:
            return self.lookup(user_id)
        except OSError as exc:  # timeout or connection lost, after the client's own retries
            logger.warning("users.info failed user=%s error=%s", user_id, type(exc).__name__)
            return None

    def lookup(self, user_id: str) -> Profile | None:
        """Like `profile`, but a timeout or lost connection raises: for callers that retry
        later rather than go on without the person's language and time zone (the sender)."""
        with self._lock:
            cached = self._kept.profiles.get(user_id)
        if cached is not None:
            return cached
        client = self._client_for()
        if client is None:
            return None  # seatbot is not installed in the workspace
        self._sweep_soon(client)
        try:
            response = client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            logger.warning("users.info failed user=%s error=%s", user_id, exc.response.get("error"))
            return None
        profile = _profile(response["user"])
        with self._lock:
            self._kept.profiles[user_id] = profile
        return profile

    def find(self, name: str) -> list[Profile]:
        """People whose handle, display name or real name is `name` (case and accents ignored).

        users.list is paged and rate-limited (Tier 2), so the directory is read
        once and kept for a few minutes.
        """
        wanted = fold(name.strip().lstrip("@"))
        return [p for p in self.everyone() if wanted in p.names]

    def forget(self, user_id: str) -> None:
        """Slack changed `user_id`: the next look-up asks again (and so does the next `everyone`)."""
        with self._lock:
            self._kept.profiles.pop(user_id, None)
            self._kept.everyone.clear()
            self._kept.changes += 1

    def everyone(self) -> list[Profile]:
        """Every member of the workspace (bots and deactivated people included), kept a few minutes."""
        with self._lock:
            cached = self._kept.everyone.get("all")
        if cached is not None:
            return cached
        client = self._client_for()
        people = self._read(client) if client is not None else []
        with self._lock:
            self._kept.everyone["all"] = people
        return people

    def _read(self, client: WebClient, *, at_most: int | None = None) -> list[Profile]:
        """The members, page by page (the first `at_most`, or all). Each page's profiles are
        kept for look-ups too, as many as the cache holds, unless someone changed while it was
        read (the page may say what they were before)."""
        people: list[Profile] = []
        with self._lock:
            changes = self._kept.changes
        for page in client.users_list(limit=SWEEP_PAGE, include_locale=True):
            profiles = [_profile(user) for user in page["members"]]
            with self._lock:
                room = int(self._kept.profiles.maxsize) - len(people)
                if self._kept.changes == changes and room > 0:
                    for profile in profiles[:room]:
                        self._kept.profiles[profile.user_id] = profile
                changes = self._kept.changes
            people.extend(profiles)
            if at_most is not None and len(people) >= at_most:
                break
        return people

    def _sweep_soon(self, client: WebClient) -> None:
        """Someone was not known: read the directory in the background (once per SWEEP_EVERY,
        as many people as are kept), so that the next people are."""
        now = time.monotonic()
        with self._lock:
            last = self._kept.swept_at
            if last is not None and now - last < SWEEP_EVERY:
                return
            self._kept.swept_at = now
            thread = threading.Thread(target=self._sweep, args=(client,), name="people", daemon=True)
            self._kept.sweeping = thread
        thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Let a read of the directory in progress end (shutdown, tests)."""
        with self._lock:
            thread = self._kept.sweeping
        if thread is not None:
            thread.join(timeout)

    def _sweep(self, client: WebClient) -> None:
        try:
            people = self._read(client, at_most=int(self._kept.profiles.maxsize))
        except (SlackApiError, OSError) as exc:  # rate-limited, uninstalled, Slack away: next time
            detail = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            logger.warning("people directory not read error=%s", detail)
            return
        except Exception:  # an answer not as documented: people are looked up one by one
            logger.exception("people directory not read")
            return
        logger.info("people directory read people=%s", len(people))

    def language(self, user_id: str) -> str:
        profile = self.profile(user_id)
        return profile.language if profile else DEFAULT_LANGUAGE

    def known_language(self, user_id: str, *, locale: str | None = None) -> str:
        """The language from what is at hand, never calling Slack: for the ack path.

        The cached profile if there is one, else the locale the payload carried.
        """
        with self._lock:
            cached = self._kept.profiles.get(user_id)
        return cached.language if cached is not None else language_for(locale)
