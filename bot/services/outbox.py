"""The outbox: messages queued in the caller's transaction, next to the change they announce
(no Slack here; `bot.delivery` sends them)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from storage import repositories as repo
from storage.models import OutboxMessage, OutboxStatus


class Kind(StrEnum):
    APPROVAL = "approval"
    """DM to an approver: the request with Approve / Decline (or its outcome)."""
    APPROVAL_REFRESH = "approval_refresh"
    """Rewrite one stored approval DM to show the request as it is now."""
    OUTCOME = "outcome"
    """DM to the requester: approved (applied) or declined, with the reason."""
    SEAT_RELEASED = "seat_released"
    """DM to an agent whose seat a reduction removed."""
    ORDER = "order"
    """Sales-assisted plans: the applied change, as an order, to the sales contact."""
    SEAT_GRANTED = "seat_granted"
    """DM to someone who now has a seat (assigned, or their turn came)."""
    WAITING_DONE = "waiting_done"
    """DM to whoever asked for a seat on the fly: it has been given."""
    ALERT = "alert"
    """Out-of-licences (or early-warning) alert in the alerts channel."""
    ALERT_REFRESH = "alert_refresh"
    """Rewrite the posted alert: new figures, escalated, or closed."""
    NUDGE = "nudge"
    """DM to an approver: a reminder of a request waiting for them, with its buttons."""
    ESCALATION = "escalation"
    """In the alerts channel: a request nobody decided after every reminder."""
    OWNER_CHANGED = "owner_changed"
    """DM to the new and the old owner: the account changed hands."""
    UNDELIVERABLE = "undeliverable"
    """DM to the owner: a channel message could not be posted (channel gone, bot not in it)."""
    AUTO_APPROVED = "auto_approved"
    """A quiet DM to an approver: a request was approved within a standing allowance."""


def enqueue_many(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Queue messages (each an `outbox_row`) in as few INSERTs as the driver allows; a row
    whose `dedupe_key` is taken is left out, so that queueing one twice, even at once, is
    harmless."""
    repo.insert_many(session, OutboxMessage, rows, unique="dedupe_key")


def outbox_row(
    *,
    account_id: int,
    kind: Kind,
    recipient: str,
    dedupe_key: str,
    now: datetime,
    request_id: int | None = None,
    alert_id: int | None = None,
    params: dict[str, Any] | None = None,
    slack_message_id: int | None = None,
) -> dict[str, Any]:
    """The columns of a new outbox row: due at once, posted (or, given a stored message, updated)."""
    return {
        "account_id": account_id,
        "request_id": request_id,
        "alert_id": alert_id,
        "kind": kind.value,
        "action": "update" if slack_message_id else "post",
        "recipient": recipient,
        "slack_message_id": slack_message_id,
        "params": params,
        "dedupe_key": dedupe_key,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "in_doubt": False,
        "next_attempt_at": now,
        "created_at": now,
    }


REMINDERS = (Kind.NUDGE, Kind.ESCALATION)
"""Messages that only make sense while their request is pending."""


def cancel_reminders(session: Session, *, request_id: int) -> int:
    """Cancel the request's reminders and escalation not yet sent (it was just closed).

    A row a sender holds right now is cancelled too: if its post lands anyway, the
    sender records it as sent and queues a refresh, so its buttons do not stay live.
    """
    return cancel_reminders_of(session, request_ids=[request_id])


def cancel_reminders_of(session: Session, *, request_ids: Collection[int]) -> int:
    """`cancel_reminders` of many requests, in one statement."""
    if not request_ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(
            repo.one_of(session, col(OutboxMessage.request_id), request_ids),
            col(OutboxMessage.kind).in_([k.value for k in REMINDERS]),
            col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        )
        .values(status=OutboxStatus.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))
