"""One way to record a state change: its audit event and the messages it causes.

Both are written in the caller's transaction, so a change is never committed
without its history, nor announced without being committed. What keeps them
once-only stays in the database: an outbox row is not queued twice under the
same `dedupe_key`, and the audit table is append-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.services.outbox import Kind, enqueue_many, outbox_row
from storage import repositories as repo


@dataclass(frozen=True)
class Event:
    """The audit event: who did `action` to which subject, with the state before and after."""

    action: str
    subject_type: str
    subject_id: str | None
    actor_id: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


@dataclass(frozen=True)
class Message:
    """A message the change sends to someone (never the person clicking: they get the answer)."""

    kind: Kind
    recipient: str
    dedupe_key: str
    """Queued at most once under this key, however often the change is recorded."""
    request_id: int | None = None
    alert_id: int | None = None
    params: dict[str, Any] | None = None
    slack_message_id: int | None = None
    """Set to rewrite that posted message instead of posting a new one."""


def record(
    session: Session,
    *,
    account_id: int,
    at: datetime,
    event: Event | None = None,
    messages: Iterable[Message] = (),
) -> None:
    """Record one state change: its audit `event` (if it has one) and queue its `messages`."""
    if event is not None:
        repo.add_audit(
            session,
            account_id=account_id,
            at=at,
            actor_id=event.actor_id,
            action=event.action,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            before=event.before,
            after=event.after,
        )
    # One INSERT for them all, leaving out any whose dedupe_key is taken.
    enqueue_many(session, [_row(account_id, message, at) for message in messages])


def _row(account_id: int, message: Message, at: datetime) -> dict[str, Any]:
    return outbox_row(
        account_id=account_id,
        kind=message.kind,
        recipient=message.recipient,
        dedupe_key=message.dedupe_key,
        now=at,
        request_id=message.request_id,
        alert_id=message.alert_id,
        params=message.params,
        slack_message_id=message.slack_message_id,
    )


@dataclass(frozen=True)
class Change:
    """One state change of many recorded at once: its account, event and messages."""

    account_id: int
    event: Event | None = None
    messages: Sequence[Message] = ()


def record_many(session: Session, *, at: datetime, changes: Sequence[Change]) -> None:
    """`record` each change, in a few statements however many there are (a scheduler pass
    records hundreds): their audit events, then their messages, each in one INSERT on
    PostgreSQL (one executemany on SQLite), in order."""
    repo.add_audits(
        session,
        [
            {
                "account_id": change.account_id,
                "at": at,
                "actor_id": change.event.actor_id,
                "action": change.event.action,
                "subject_type": change.event.subject_type,
                "subject_id": change.event.subject_id,
                "before": change.event.before,
                "after": change.event.after,
            }
            for change in changes
            if change.event is not None
        ],
    )
    enqueue_many(
        session, [_row(change.account_id, message, at) for change in changes for message in change.messages]
    )
