"""The account file's names (`@ana`, `#seat-alerts`) looked up in Slack's directory.

Each list (users.list, conversations.list) is read once, a page at a time, and
only if the file names someone or some channel: a file of ids never calls Slack.
"""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.users import UserDirectory


class SlackDirectory:
    """The `Directory` of bot/domain/account_file.py, answered by the Web API.

    People are found as `/seats assign @ana` finds them (handle, display name or real
    name, case and accents ignored); channels by their exact name, archived ones left
    out. Slack errors (missing_scope, ratelimited…) are raised to the caller.
    """

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._people = UserDirectory(client)
        self._channels: list[tuple[str, str]] | None = None

    def people_named(self, name: str) -> list[str]:
        return [profile.user_id for profile in self._people.find(name)]

    def channels_named(self, name: str) -> list[str]:
        if self._channels is None:
            pages = self._client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=200
            )
            self._channels = [(str(c["id"]), str(c["name"])) for page in pages for c in page["channels"]]
        wanted = name.strip().lower()
        return [channel_id for channel_id, channel in self._channels if channel == wanted]
