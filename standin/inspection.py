"""Read-only views of what the bot did, for test assertions.

Every helper takes the workspace lock and returns snapshots, so results stay
stable while the bot keeps working in background threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from standin.models import Message, RecordedCall
from standin.workspace import Workspace

T = TypeVar("T")


class Inspection:
    """Mixin for :class:`SlackStandIn`; requires ``self._ws``."""

    _ws: Workspace

    @property
    def calls(self) -> list[RecordedCall]:
        """Every call so far (API methods, response_url posts, acks), oldest first."""
        with self._ws.lock:
            return list(self._ws.calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._ws.lock:
            return [c for c in self._ws.calls if c.method == method]

    def api_errors(self, *, ignore: Iterable[str] = ()) -> list[RecordedCall]:
        """Calls that failed because the bot got something wrong.

        That covers Web API methods, response_url posts, and acks Slack would
        reject (``ack.<kind>``: a non-200 status, invalid blocks in a command
        reply, a bad ``response_action``).

        Failures the test arranged (fault injection, channel errors, a channel
        the bot is configured out of) are excluded; so are error codes in
        ``ignore`` for tests that provoke a specific error on purpose.
        """
        ignored = set(ignore)
        with self._ws.lock:
            return [c for c in self._ws.calls if not c.ok and not c.injected and c.error not in ignored]

    def api_warnings(self) -> list[tuple[str, str]]:
        """``(method, warning)`` for every warning recorded (missing_text, unknown_argument:x)."""
        with self._ws.lock:
            return [(c.method, w) for c in self._ws.calls for w in c.warnings]

    def messages(self, channel: str) -> list[Message]:
        """Current (edited, not deleted) messages in a channel, ephemeral ones included."""
        with self._ws.lock:
            return [m.snapshot() for m in self._ws.messages.get(channel, []) if not m.deleted]

    def message(self, channel: str, ts: str) -> Message | None:
        with self._ws.lock:
            record = self._ws.find_message(channel, ts)
            return record.snapshot() if record else None

    def dm(self, user_id: str) -> list[Message]:
        """Messages in the bot's DM with ``user_id`` (empty if it was never opened)."""
        with self._ws.lock:
            ids = [c.id for c in self._ws.channels.values() if c.im_user == user_id]
        return self.messages(ids[0]) if ids else []

    def ephemerals(self, user_id: str) -> list[Message]:
        """Ephemeral messages shown to ``user_id``, in any conversation, oldest first."""
        with self._ws.lock:
            found = [
                m.snapshot()
                for records in self._ws.messages.values()
                for m in records
                if m.ephemeral_for == user_id and not m.deleted
            ]
        return sorted(found, key=lambda m: float(m.ts))

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        """The person's modal stack, bottom first (the last one is what they see)."""
        with self._ws.lock:
            ids = self._ws.stacks.get(user_id, [])
            return [self._ws.view_payload(self._ws.views[i]) for i in ids]

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for ``user_id``, or None."""
        with self._ws.lock:
            view_id = self._ws.homes.get(user_id)
            return self._ws.view_payload(self._ws.views[view_id]) if view_id else None

    def view(self, view_id: str) -> dict[str, Any] | None:
        """Any stored view by id, even one no longer displayed."""
        with self._ws.lock:
            record = self._ws.views.get(view_id)
            return self._ws.view_payload(record) if record else None

    def name_of(self, id: str) -> str:
        """How Slack shows an id: a person's real name, a channel's name, else the id."""
        with self._ws.lock:
            user = self._ws.users.get(id)
            if user is not None:
                return user.real_name or user.name
            channel = self._ws.channels.get(id)
            return channel.name if channel is not None else id

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Return the first truthy value of ``predicate()``, re-checking after every call.

        The predicate runs without the lock held (it may call other helpers or
        the bot's database).  Raises AssertionError with recent activity on timeout.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._ws.lock:
                seen = self._ws.version
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"wait_for timed out after {timeout}s\n{self.dump()}")
            with self._ws.lock:
                if self._ws.version == seen:
                    # Also wake periodically: the predicate may watch state outside the stand-in.
                    self._ws.changed.wait(min(remaining, 0.05))

    def dump(self, last: int = 20) -> str:
        """Human-readable summary of recent calls and conversations, for failure messages."""
        with self._ws.lock:
            lines = [f"last {last} calls:"]
            for c in self._ws.calls[-last:]:
                outcome = "ok" if c.ok else f"error={c.error}"
                lines.append(f"  {c.method} {outcome} warnings={list(c.warnings)}")
            lines.append("messages:")
            for channel, records in self._ws.messages.items():
                for m in records:
                    flags = " (deleted)" if m.deleted else ""
                    flags += f" (ephemeral for {m.ephemeral_for})" if m.ephemeral_for else ""
                    lines.append(f"  {channel} {m.ts}{flags}: {m.text[:80]!r}")
            lines.append(f"modal stacks: {self._ws.stacks}  homes: {self._ws.homes}")
        return "\n".join(lines)
