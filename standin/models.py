"""Value objects the stand-in hands to tests.

Everything here is an immutable snapshot: the stand-in keeps its own mutable
records under a lock and copies them out, so a test can hold a ``Message`` while
the bot keeps editing the real one from a background thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MessageVia = Literal["api", "response_url", "ack"]


@dataclass(frozen=True)
class SlackUser:
    """A workspace member as ``users.info`` describes them.

    ``display_name`` defaults to ``""`` because most real profiles leave it empty;
    a bot that shows people by display name without falling back to
    ``real_name`` shows blanks in Slack, and should here too.
    """

    id: str
    name: str
    real_name: str
    locale: str = "en-US"
    tz: str = "Europe/Paris"
    tz_offset: int = 3600
    is_bot: bool = False
    deleted: bool = False
    email: str | None = None
    display_name: str = ""
    is_admin: bool = False
    """A workspace admin (users.info ``is_admin``); an owner is an admin too, as in Slack."""
    is_owner: bool = False


@dataclass(frozen=True)
class MessageEdit:
    """A previous version of a message, kept when ``chat.update`` or a response_url replaced it."""

    text: str
    blocks: list[dict[str, Any]]
    replaced_at: float


@dataclass(frozen=True)
class Message:
    """The current state of one message.

    ``user`` is the author (the bot's user id for everything the bot posts).
    ``ephemeral_for`` is the only user who can see it, or None for a normal
    message.  ``edits`` are older versions, oldest first.  ``via`` says how it
    arrived: the Web API, a response_url, or the body of a slash-command ack.
    """

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    edits: tuple[MessageEdit, ...] = ()
    ephemeral_for: str | None = None
    via: MessageVia = "api"
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class RecordedCall:
    """One request the bot made to the stand-in (Web API method or response_url).

    ``injected`` marks failures the test arranged (``fail_next``,
    ``set_channel_error``, a channel the bot was configured not to be in), which
    ``api_errors()`` leaves out because they are not the bot's fault.
    """

    method: str
    params: dict[str, Any]
    response: dict[str, Any]
    ok: bool
    warnings: tuple[str, ...] = ()
    at: float = 0.0
    status: int = 200
    injected: bool = False
    error: str | None = field(default=None)
