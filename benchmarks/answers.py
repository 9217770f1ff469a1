"""When did seatbot answer? Watched in the stand-in, which records every Web API
call and response_url post with the wall-clock time it arrived.

An answer is expected either as a recorded call with a key (``views.open`` of a
trigger_id, ``views.update`` of a view) or as a state change checked under the
stand-in's lock (a new ephemeral message for a person, an edit of a message).
One watcher thread reads new calls incrementally and resolves waiters.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from standin import SlackStandIn
from standin.models import RecordedCall
from standin.workspace import MessageRecord

Key = tuple[str, str]
Outcome = str  # "ok", "refused" (seatbot said no: counts moved…) or "error" (the Web API call failed)
Check = Callable[[], tuple[float, Outcome] | None]


@dataclass
class Waiter:
    sent_at: float
    key: Key | None = None
    check: Check | None = None
    answered_at: float | None = None
    outcome: Outcome = "ok"
    done: threading.Event = field(default_factory=threading.Event)

    def resolve(self, at: float, outcome: Outcome) -> None:
        self.answered_at, self.outcome = at, outcome
        self.done.set()


def key_of(call: RecordedCall) -> Key | None:
    if call.method == "views.open":
        return ("trigger", str(call.params.get("trigger_id")))
    if call.method == "views.update":
        return ("view", str(call.params.get("view_id")))
    return None


class AnswerWatcher:
    """Resolves waiters as the stand-in records seatbot's answers. Use as a context manager."""

    def __init__(self, standin: SlackStandIn) -> None:
        self._ws = standin.workspace
        self._cursor = len(self._ws.calls)
        self._seen: dict[Key, list[tuple[float, bool]]] = defaultdict(list)
        self._waiters: list[Waiter] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-answers", daemon=True)

    def __enter__(self) -> AnswerWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def expect_call(self, key: Key, sent_at: float) -> Waiter:
        return self._add(Waiter(sent_at, key=key))

    def expect(self, check: Check, sent_at: float) -> Waiter:
        return self._add(Waiter(sent_at, check=check))

    def _add(self, waiter: Waiter) -> Waiter:
        with self._lock:
            self._waiters.append(waiter)
        return waiter

    def _run(self) -> None:
        ws = self._ws
        while not self._stop.is_set():
            with ws.lock:
                version = ws.version
                new = ws.calls[self._cursor :]
                self._cursor += len(new)
                for call in new:
                    key = key_of(call)
                    if key is not None:
                        self._seen[key].append((call.at, call.ok))
                with self._lock:
                    pending = [w for w in self._waiters if not w.done.is_set()]
                    self._waiters = pending
                for waiter in pending:
                    self._try(waiter)
                if ws.version == version:
                    ws.changed.wait(0.02)

    def _try(self, waiter: Waiter) -> None:
        if waiter.check is not None:
            found = waiter.check()
            if found is not None:
                waiter.resolve(*found)
            return
        assert waiter.key is not None
        seen = self._seen.get(waiter.key)
        if not seen:
            return
        for i, (at, ok) in enumerate(seen):
            if at >= waiter.sent_at:
                del seen[i]
                waiter.resolve(at, "ok" if ok else "error")
                return


def new_ephemeral(standin: SlackStandIn, user_id: str, channel: str) -> Check:
    """A check for the next ephemeral message shown to ``user_id`` in ``channel`` through a
    response_url (seatbot's answer to a slash command). Call before sending."""
    ws = standin.workspace
    with ws.lock:
        start = len(ws.messages.get(channel, []))

    def check() -> tuple[float, Outcome] | None:
        for record in ws.messages.get(channel, [])[start:]:
            if record.ephemeral_for == user_id and record.via == "response_url":
                return float(record.ts), "ok"
        return None

    return check


def decided(standin: SlackStandIn, record: MessageRecord, approver: str) -> Callable[[float], Check]:
    """A check for the answer to an Approve click on ``record``: the copy rewritten with the
    outcome (chat.update / replace_original), or a refusal shown to the approver (the counts
    moved since the request was drafted: it stays pending). Call before sending; bind the
    send time with the returned function."""
    ws = standin.workspace
    with ws.lock:
        start = len(ws.messages.get(record.channel, []))

    def since(sent_at: float) -> Check:
        def check() -> tuple[float, Outcome] | None:
            for edit in record.edits:
                if edit.replaced_at >= sent_at:
                    return edit.replaced_at, "ok"
            for message in ws.messages.get(record.channel, [])[start:]:
                if message.ephemeral_for == approver and message.via == "response_url":
                    return float(message.ts), "refused"
            return None

        return check

    return since
