"""The fake workspace's state: people, conversations, messages, views, triggers.

Thread-safety invariant: every attribute is read or written only while holding
``lock``.  The HTTP server handles each request on its own thread and the bot
calls from background threads, so the API layer takes the lock around a whole
method call; inspection helpers take it too and return snapshots.
``changed`` is notified after every recorded call so waiters wake promptly.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from standin.copies import detached
from standin.errors import ApiError
from standin.models import Message, MessageEdit, MessageVia, RecordedCall, SlackUser

TRIGGER_TTL = 3.0  # seconds a trigger_id can be exchanged, per Slack's docs
RESPONSE_URL_TTL = 30 * 60.0
RESPONSE_URL_MAX_USES = 5
MAX_VIEW_STACK = 3


@dataclass
class ChannelRecord:
    """A conversation.  ``im_user`` is set for the bot's DM with that user."""

    id: str
    name: str
    bot_is_member: bool = True
    im_user: str | None = None
    mpim_users: tuple[str, ...] = ()


@dataclass
class MessageRecord:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    ephemeral_for: str | None = None
    via: MessageVia = "api"
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    deleted: bool = False

    def snapshot(self) -> Message:
        return Message(
            channel=self.channel,
            ts=self.ts,
            text=self.text,
            blocks=detached(self.blocks),
            user=self.user,
            edits=tuple(self.edits),
            ephemeral_for=self.ephemeral_for,
            via=self.via,
            thread_ts=self.thread_ts,
            metadata=detached(self.metadata),
        )


@dataclass
class ViewRecord:
    """A modal or Home tab as stored by Slack.  ``source`` is the view as the app sent it."""

    id: str
    user_id: str
    source: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state_values: dict[str, Any] = field(default_factory=dict)


@dataclass
class TriggerRecord:
    user_id: str | None
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrlRecord:
    user_id: str
    channel_id: str
    message_ts: str | None
    created_at: float
    uses: int = 0


class Workspace:
    """All mutable state of the stand-in (see the module docstring for locking)."""

    def __init__(
        self,
        *,
        team_id: str,
        team_name: str,
        bot_user_id: str,
        app_id: str,
        clock: Callable[[], float],
    ) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.version = 0
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id[1:]
        self.app_id = app_id
        self.clock = clock
        self.users: dict[str, SlackUser] = {}
        self.channels: dict[str, ChannelRecord] = {}
        self.channel_errors: dict[str, str] = {}
        self._counter = itertools.count(1)
        with self.lock:
            self.reset()

    def reset(self) -> None:
        """Forget everything that happened; keep people and channels (not DMs)."""
        self.messages: dict[str, list[MessageRecord]] = {}
        self.views: dict[str, ViewRecord] = {}
        self.stacks: dict[str, list[str]] = {}
        self.homes: dict[str, str] = {}
        self.triggers: dict[str, TriggerRecord] = {}
        self.response_urls: dict[str, ResponseUrlRecord] = {}
        self.calls: list[RecordedCall] = []
        self.submitting: set[str] = set()
        """Views whose submission is on its way to the app and not yet answered."""
        self._last_ts = 0.0
        self.notify()

    def wait_submission_answered(self, view_id: str, timeout: float = 5.0) -> None:
        """Slack applies a submission's answer (`response_action`) before any API call
        can change that view; callers hold the lock, which waiting releases."""
        deadline = time.monotonic() + timeout
        while view_id in self.submitting and time.monotonic() < deadline:
            self.changed.wait(timeout=0.05)

    def notify(self) -> None:
        self.version += 1
        self.changed.notify_all()

    # -- identifiers -----------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A Slack-looking id (``V0000000007``): prefix, then 10 digits, never reused."""
        return f"{prefix}{next(self._counter):010d}"

    def next_ts(self) -> str:
        """A message ts: epoch seconds with 6 decimals, strictly increasing."""
        now = max(self.clock(), self._last_ts + 0.000001)
        self._last_ts = round(now, 6)
        return f"{self._last_ts:.6f}"

    def new_hash(self) -> str:
        return f"{int(self.clock())}.{secrets.token_hex(4)}"

    def new_trigger(self, user_id: str | None) -> str:
        trigger_id = f"{next(self._counter)}.{int(self.clock())}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = TriggerRecord(user_id=user_id, issued_at=self.clock())
        return trigger_id

    def exchange_trigger(self, trigger_id: str | None) -> TriggerRecord:
        """Consume a trigger: each may open one view, within 3 seconds of the interaction."""
        if not trigger_id:
            raise ApiError("invalid_arguments", messages=["missing required field: trigger_id"])
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.used:
            raise ApiError("exchanged_trigger_id")
        if self.clock() - trigger.issued_at > TRIGGER_TTL:
            raise ApiError("expired_trigger_id")
        trigger.used = True
        return trigger

    # -- conversations ---------------------------------------------------------

    def im_for(self, user_id: str) -> ChannelRecord:
        """The bot's DM with a person, created the first time it is needed."""
        for channel in self.channels.values():
            if channel.im_user == user_id:
                return channel
        channel = ChannelRecord(id=self.new_id("D"), name="directmessage", im_user=user_id)
        self.channels[channel.id] = channel
        return channel

    def resolve_channel(self, channel_id: str | None, *, allow_user: bool) -> ChannelRecord:
        """Where a message goes.  A user id means the DM with that user, like Slack.

        Raises the errors Slack gives: channel_not_found, is_archived (a
        deactivated user's DM), not_in_channel, or one the test injected.
        """
        if not channel_id:
            raise ApiError("channel_not_found", messages=["missing required field: channel"])
        if channel_id in self.channel_errors:
            raise ApiError(self.channel_errors[channel_id], injected=True)
        if allow_user and channel_id[:1] in ("U", "W"):
            user = self.users.get(channel_id)
            if user is None:
                raise ApiError("channel_not_found")
            if user.deleted:
                raise ApiError("is_archived")
            return self.im_for(channel_id)
        channel = self.channels.get(channel_id)
        if channel is None and allow_user:
            # chat.postMessage/postEphemeral also accept a channel name ("#general").
            name = channel_id.removeprefix("#")
            channel = next((c for c in self.channels.values() if c.name == name and not c.im_user), None)
        if channel is None:
            raise ApiError("channel_not_found")
        if channel.im_user is not None and self.users[channel.im_user].deleted:
            raise ApiError("is_archived")
        if not channel.bot_is_member:
            # The test configured the bot out of this channel on purpose.
            raise ApiError("not_in_channel", injected=True)
        return channel

    # -- messages --------------------------------------------------------------

    def add_message(self, record: MessageRecord) -> MessageRecord:
        self.messages.setdefault(record.channel, []).append(record)
        return record

    def find_message(self, channel: str, ts: str) -> MessageRecord | None:
        for record in self.messages.get(channel, []):
            if record.ts == ts and not record.deleted:
                return record
        return None

    def replace_message(self, record: MessageRecord, text: str, blocks: list[dict[str, Any]]) -> None:
        record.edits.append(MessageEdit(text=record.text, blocks=record.blocks, replaced_at=self.clock()))
        record.text = text
        record.blocks = blocks

    def message_payload(self, record: MessageRecord) -> dict[str, Any]:
        """The message object as Slack embeds it in API responses and interaction payloads."""
        payload: dict[str, Any] = {
            "type": "message",
            "text": record.text,
            "user": record.user,
            "ts": record.ts,
            "team": self.team_id,
        }
        if record.user == self.bot_user_id:
            payload.update(bot_id=self.bot_id, app_id=self.app_id)
        if record.blocks:
            payload["blocks"] = detached(record.blocks)
        if record.thread_ts:
            payload["thread_ts"] = record.thread_ts
        if record.metadata:
            payload["metadata"] = detached(record.metadata)
        if record.edits:
            payload["edited"] = {"user": record.user, "ts": f"{record.edits[-1].replaced_at:.6f}"}
        return payload

    # -- views -----------------------------------------------------------------

    def view_payload(self, record: ViewRecord) -> dict[str, Any]:
        """The full view object Slack returns from views.* and sends in payloads."""
        src = record.source
        payload: dict[str, Any] = {
            "id": record.id,
            "team_id": self.team_id,
            "type": src["type"],
            "blocks": detached(src.get("blocks", [])),
            "private_metadata": src.get("private_metadata", ""),
            "callback_id": src.get("callback_id", ""),
            "state": {"values": detached(record.state_values)},
            "hash": record.hash,
            "clear_on_close": bool(src.get("clear_on_close", False)),
            "notify_on_close": bool(src.get("notify_on_close", False)),
            "close": detached(src.get("close")),
            "submit": detached(src.get("submit")),
            "previous_view_id": record.previous_view_id,
            "root_view_id": record.root_view_id,
            "app_id": self.app_id,
            "external_id": src.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if "title" in src:
            payload["title"] = detached(src["title"])
        return payload

    def find_view(self, view_id: str | None = None, external_id: str | None = None) -> ViewRecord | None:
        if view_id:
            return self.views.get(view_id)
        for record in self.views.values():
            if external_id and record.source.get("external_id") == external_id:
                return record
        return None

    def is_live(self, record: ViewRecord) -> bool:
        """A view exists for Slack while it is on a modal stack or is someone's Home tab."""
        return record.id in self.stacks.get(record.user_id, []) or self.homes.get(record.user_id) == record.id

    def check_external_id(self, view: dict[str, Any], owner: str | None) -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        other = self.find_view(external_id=external_id)
        if other is not None and other.id != owner and self.is_live(other):
            raise ApiError("duplicate_external_id")

    # -- recording -------------------------------------------------------------

    def record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        self.notify()
