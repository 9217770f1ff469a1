"""What only Slack can tell about a set-up: who may do it, whether the people picked are
people, and whether seatbot can post in the alerts channel.

Alerts channel: seatbot joins a public channel by itself (conversations.join); a private
one it is not in needs an invitation, which only a member can give, so the person is
told to `/invite @seatbot` there. The settings are saved either way: the channel may be
fixed later, and until then an alert that cannot be posted is reported to the owner.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import InvalidInput
from bot.slack.users import UserDirectory

logger = logging.getLogger(__name__)


def may_set_up(people: UserDirectory, *, installer: str | None, user_id: str) -> bool:
    """The person who installed seatbot, or a Slack workspace admin or owner."""
    if installer is not None and user_id == installer:
        return True
    profile = people.profile(user_id)
    return profile is not None and profile.workspace_admin and not profile.deleted


def check_people(people: UserDirectory, user_ids: Iterable[str]) -> None:
    """Raise InvalidInput for the first id that is not a person who can hold a role (a
    forged id, a bot, someone deactivated)."""
    for user_id in dict.fromkeys(user_ids):
        profile = people.profile(user_id)
        if profile is None:
            raise InvalidInput("not_a_person", user=user_id)
        if profile.is_bot:
            raise InvalidInput("role_for_bot", user=user_id)
        if profile.deleted:
            raise InvalidInput("role_for_deactivated", user=user_id)


class ChannelReach(StrEnum):
    MEMBER = "member"
    JOINED = "joined"
    INVITE_NEEDED = "invite_needed"
    UNKNOWN = "unknown"
    """Slack could not say (an error logged): nothing to tell the person."""


def reach_channel(client: WebClient, channel_id: str) -> ChannelReach:
    """Make sure seatbot can post in the channel: join it when public, else say it must be invited."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
        if info.get("is_member"):
            return ChannelReach.MEMBER
        if info.get("is_private"):
            return ChannelReach.INVITE_NEEDED
        client.conversations_join(channel=channel_id)
        return ChannelReach.JOINED
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error in ("channel_not_found", "method_not_supported_for_channel_type"):
            return ChannelReach.INVITE_NEEDED  # a private channel seatbot is not in looks unknown
        logger.warning("alerts channel check failed channel=%s error=%s", channel_id, error)
        return ChannelReach.UNKNOWN
