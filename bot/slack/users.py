"""Slack profiles (locale, time zone, name), looked up once and cached.

users.info is rate-limited (Tier 4), and every message needs the reader's
language, so profiles are kept for a while; a failed lookup falls back to
English rather than failing the request.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.messages.i18n import DEFAULT_LANGUAGE, language_for

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Profile:
    user_id: str
    name: str
    locale: str | None
    tz: str
    is_bot: bool
    deleted: bool

    @property
    def language(self) -> str:
        return language_for(self.locale)


class UserDirectory:
    def __init__(self, client: WebClient, *, ttl_seconds: int = 3600, size: int = 10_000) -> None:
        self._client = client
        self._cache: TTLCache[str, Profile] = TTLCache(maxsize=size, ttl=ttl_seconds)
        self._lock = threading.Lock()

    def profile(self, user_id: str) -> Profile | None:
        """The user's profile, or None if Slack does not know them."""
        with self._lock:
            cached = self._cache.get(user_id)
        if cached is not None:
            return cached
        try:
            response = self._client.users_info(user=user_id, include_locale=True)
        except SlackApiError as exc:
            logger.warning("users.info failed", extra={"user": user_id, "error": exc.response.get("error")})
            return None
        user = response["user"]
        profile = Profile(
            user_id=user_id,
            name=user.get("real_name") or user.get("name") or user_id,
            locale=user.get("locale"),
            tz=user.get("tz") or "UTC",
            is_bot=bool(user.get("is_bot")),
            deleted=bool(user.get("deleted")),
        )
        with self._lock:
            self._cache[user_id] = profile
        return profile

    def language(self, user_id: str) -> str:
        profile = self.profile(user_id)
        return profile.language if profile else DEFAULT_LANGUAGE
