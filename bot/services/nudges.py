"""Requests nobody answers: nudged, then escalated to the channel, then expired.

A pass (driven by `bot.runtime.jobs`) takes the due requests in batches, each batch in
one transaction and a few set-based statements whatever its size (`take_steps`): one
UPDATE per kind of step, then one INSERT of the audit events and one of the outbox
messages (on SQLite, where a statement costs no round trip, one executemany each) of
exactly the requests those updates returned. If a batch fails, its requests
are taken again one by one, each in its own transaction (`run_step`), so one failing
request is logged and skipped while the others go on. A pass reads only pending requests
whose `next_due_at` has come (through the partial index on due times), of accounts whose
workspace has seatbot installed: after an uninstall the requests are kept, untouched, and
their reminders resume if seatbot is installed again.

Each step is a conditional UPDATE on the request (`WHERE nudge_count = :seen`,
`WHERE escalated_at IS NULL`, `WHERE status = 'pending'`), so however many
replicas run this job at the same moment, each step happens exactly once. On
PostgreSQL a batch also locks what it reads (`FOR UPDATE SKIP LOCKED`): replicas
take disjoint batches instead of waiting on each other's rows.
The clock is a parameter: the job reads it once and passes it down.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, func
from sqlmodel import Session, col, select

from bot.domain.errors import AlreadyDecided
from bot.domain.permissions import APPROVERS
from bot.services.decisions import close_request, close_requests, copy_refreshes, refresh_copies
from bot.services.outbox import Kind
from bot.services.recording import Change, Event, Message, record, record_many
from bot.services.schedule import next_due, pending_due
from storage import repositories as repo
from storage.models import Account, ChangeRequest, RequestStatus
from storage.types import UTCDateTime


class Step(StrEnum):
    NUDGED = "nudged"
    ESCALATED = "escalated"
    EXPIRED = "expired"


@dataclass
class NudgeRun:
    nudged: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def record(self, request_id: int, step: Step | None) -> None:
        if step is not None:
            getattr(self, step.value).append(request_id)


@dataclass(frozen=True)
class Due:
    """A due request as a pass read it: what decides its step."""

    id: int
    account_id: int
    requester_id: str
    created_at: datetime
    nudge_count: int
    last_nudged_at: datetime | None
    escalated_at: datetime | None

    @classmethod
    def of(cls, request: ChangeRequest) -> Due:
        return cls(
            request.id or 0,
            request.account_id,
            request.requester_id,
            request.created_at,
            request.nudge_count,
            request.last_nudged_at,
            request.escalated_at,
        )

    def due_after(
        self, account: Account, *, nudged_at: datetime | None = None, escalated_at: datetime | None = None
    ) -> datetime:
        """Its next due time once nudged (at `nudged_at`), escalated (at `escalated_at`), or as it is."""
        return pending_due(
            account,
            created_at=self.created_at,
            nudge_count=self.nudge_count + (nudged_at is not None),
            last_nudged_at=nudged_at or self.last_nudged_at,
            escalated_at=escalated_at or self.escalated_at,
        )


def _is_due(now: datetime) -> tuple[Any, ...]:
    """Pending and due, of an installed account: what the partial index on due times finds."""
    return (
        ChangeRequest.status == RequestStatus.PENDING.value,
        col(ChangeRequest.next_due_at) <= now,
        col(Account.uninstalled_at).is_(None),
    )


_LONGEST_DUE_FIRST = (col(ChangeRequest.next_due_at), col(ChangeRequest.id))


def due_requests(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Pending requests whose next step is due: read through the partial index on due times,
    so a pass costs what is due, not the whole history."""
    ids = session.exec(
        select(ChangeRequest.id)
        .join(Account, col(Account.id) == col(ChangeRequest.account_id))
        .where(*_is_due(now))
        .order_by(*_LONGEST_DUE_FIRST)
        .limit(limit)
    ).all()
    return [request_id for request_id in ids if request_id is not None]


def lock_due(
    session: Session, *, now: datetime, limit: int, skip: Collection[int] = ()
) -> list[tuple[Due, Account]]:
    """The next batch of `due_requests` (but those in `skip`), with their accounts, locked
    until the transaction ends. Rows another transaction holds are skipped, not waited for:
    a replica running a pass at the same moment has them."""
    query = (
        select(ChangeRequest, Account)
        .join(Account, col(Account.id) == col(ChangeRequest.account_id))
        .where(*_is_due(now))
        .order_by(*_LONGEST_DUE_FIRST)
        .limit(limit)
        .with_for_update(of=ChangeRequest, skip_locked=True)
    )
    if skip:
        query = query.where(col(ChangeRequest.id).not_in(list(skip)))
    return [(Due.of(request), account) for request, account in session.exec(query)]


def next_wake(session: Session) -> datetime | None:
    """The earliest due time of any pending request: when the scheduler has work next."""
    return session.exec(
        select(func.min(ChangeRequest.next_due_at))
        .join(Account, col(Account.id) == col(ChangeRequest.account_id))
        .where(ChangeRequest.status == RequestStatus.PENDING.value, col(Account.uninstalled_at).is_(None))
    ).one()


def step_due(account: Account, due: Due, now: datetime) -> Step | None:
    """The step due for a request at `now` under its account's policy, if any."""
    since = due.last_nudged_at or due.created_at
    if now - due.created_at >= timedelta(seconds=account.expire_after_s):
        return Step.EXPIRED
    if due.nudge_count < account.max_nudges:
        wait = account.nudge_after_s if due.nudge_count == 0 else account.nudge_every_s
        return Step.NUDGED if since + timedelta(seconds=wait) <= now else None
    if due.escalated_at is None and account.alerts_channel:
        return Step.ESCALATED if since + timedelta(seconds=account.nudge_every_s) <= now else None
    return None


def take_steps(session: Session, batch: Sequence[tuple[Due, Account]], *, now: datetime) -> NudgeRun:
    """Take the step due for each request of a batch `lock_due` read, and set its next due
    time, in about ten statements however large the batch.

    Each kind of step is one conditional UPDATE … RETURNING id; exactly the requests it
    returned get their audit event and messages. Requests with nothing to do (the policy
    changed, no alerts channel) have their due time moved on, so they are not read again
    until they really have work.
    """
    steps = {due.id: step_due(account, due, now) for due, account in batch}
    taking = {step: [(d, a) for d, a in batch if steps[d.id] is step] for step in (*Step, None)}
    still_due = col(ChangeRequest.next_due_at) <= now
    nudged: set[int] = set()
    if taking[Step.NUDGED]:
        each = repo.per_request(
            session,
            "nudging",
            [d.id for d, _ in taking[Step.NUDGED]],
            seen=(Integer(), [d.nudge_count for d, _ in taking[Step.NUDGED]]),
            due=(UTCDateTime(), [d.due_after(a, nudged_at=now) for d, a in taking[Step.NUDGED]]),
        )
        nudged = repo.update_pending_many(
            session,
            each,
            col(ChangeRequest.nudge_count) == each.c.seen,
            still_due,
            nudge_count=col(ChangeRequest.nudge_count) + 1,
            last_nudged_at=now,
            updated_at=now,
            next_due_at=each.c.due,
        )
    escalated: set[int] = set()
    if taking[Step.ESCALATED]:
        each = repo.per_request(
            session,
            "escalating",
            [d.id for d, _ in taking[Step.ESCALATED]],
            due=(UTCDateTime(), [d.due_after(a, escalated_at=now) for d, a in taking[Step.ESCALATED]]),
        )
        escalated = repo.update_pending_many(
            session,
            each,
            col(ChangeRequest.escalated_at).is_(None),
            still_due,
            escalated_at=now,
            updated_at=now,
            next_due_at=each.c.due,
        )
    expired: set[int] = set()
    if taking[Step.EXPIRED]:
        expired = close_requests(
            session, [d.id for d, _ in taking[Step.EXPIRED]], RequestStatus.EXPIRED, now=now
        )
    if taking[None]:
        each = repo.per_request(
            session,
            "waiting",
            [d.id for d, _ in taking[None]],
            due=(UTCDateTime(), [d.due_after(a) for d, a in taking[None]]),
        )
        repo.update_pending_many(session, each, still_due, next_due_at=each.c.due)
    approvers = (
        repo.holders_in(session, account_ids={a.id or 0 for d, a in taking[Step.NUDGED]}, roles=APPROVERS)
        if nudged
        else {}
    )
    refreshes = (
        copy_refreshes(session, dict.fromkeys(expired, RequestStatus.EXPIRED.value)) if expired else {}
    )
    run = NudgeRun()
    changes: list[Change] = []
    for due, account in batch:  # in the order read, as one request after the other would
        if due.id in nudged:
            changes.append(_nudged(account, due, approvers.get(account.id or 0, [])))
        elif due.id in escalated:
            changes.append(_escalated(account, due))
        elif due.id in expired:
            change = _expired(account, due)
            changes.append(
                Change(change.account_id, change.event, [*change.messages, *refreshes.get(due.id, [])])
            )
        else:
            continue
        run.record(due.id, steps[due.id])
    record_many(session, at=now, changes=changes)
    return run


def run_step(session: Session, *, request_id: int, now: datetime) -> Step | None:
    """Take the one step due for a request (remind, escalate or expire), then set its next due time.

    A request at a time, in its own transaction: the job's way when a set-based batch
    failed. None when nothing was due, or another replica took the step first (its
    conditional update matched, ours did not).
    """
    request = session.get(ChangeRequest, request_id)
    if request is None or request.status != RequestStatus.PENDING.value:
        return None
    account = session.get(Account, request.account_id)
    assert account is not None
    if request.next_due_at is None or request.next_due_at > now:
        return None  # handled by another replica since the pass read it
    step = step_due(account, Due.of(request), now)
    if step is Step.EXPIRED:
        step = step if _expire(session, account, request, now) else None
    elif step is Step.NUDGED:
        step = step if _nudge(session, account, request, now) else None
    elif step is Step.ESCALATED:
        step = step if _escalate(session, account, request, now) else None
    session.refresh(request)
    # Also when nothing was done (policy changed, no alerts channel): the due time moves on,
    # so the request is not read again until it really has work.
    repo.update_if_pending(session, request_id, next_due_at=next_due(account, request))
    return step


def _nudge(session: Session, account: Account, request: ChangeRequest, now: datetime) -> bool:
    seen = request.nudge_count
    if not repo.update_if_pending(
        session,
        request.id or 0,
        col(ChangeRequest.nudge_count) == seen,
        nudge_count=seen + 1,
        last_nudged_at=now,
        updated_at=now,
    ):
        return False  # another replica nudged it first
    approvers = repo.holders_of(session, account_id=account.id or 0, roles=APPROVERS)
    _record(session, _nudged(account, Due.of(request), approvers), now)
    return True


def _escalate(session: Session, account: Account, request: ChangeRequest, now: datetime) -> bool:
    if not repo.update_if_pending(
        session, request.id or 0, col(ChangeRequest.escalated_at).is_(None), escalated_at=now, updated_at=now
    ):
        return False
    _record(session, _escalated(account, Due.of(request)), now)
    return True


def _expire(session: Session, account: Account, request: ChangeRequest, now: datetime) -> bool:
    try:
        close_request(session, request, RequestStatus.EXPIRED, by=None, now=now, reason=None)
    except AlreadyDecided:
        return False  # decided (or expired by another replica) a moment ago
    _record(session, _expired(account, Due.of(request)), now)
    refresh_copies(session, account_id=account.id or 0, request_id=request.id or 0, now=now)
    return True


def _record(session: Session, change: Change, now: datetime) -> None:
    record(session, account_id=change.account_id, at=now, event=change.event, messages=change.messages)


# What each step records, the same whether taken in a batch or one request at a time.


def _nudged(account: Account, due: Due, approvers: Sequence[str]) -> Change:
    nudge = due.nudge_count + 1
    # Delivered within each approver's working hours: the sender holds a reminder until then.
    reminders = [
        Message(
            Kind.NUDGE,
            approver,
            f"nudge:{due.id}:{nudge}:{approver}",
            request_id=due.id,
            params={"nudge": nudge},
        )
        for approver in approvers
        if approver != due.requester_id
    ]
    event = Event("request.nudged", "change_request", str(due.id), after={"nudge": nudge})
    return Change(account.id or 0, event, reminders)


def _escalated(account: Account, due: Due) -> Change:
    assert account.alerts_channel is not None
    channel = account.alerts_channel
    event = Event("request.escalated", "change_request", str(due.id), after={"channel": channel})
    return Change(
        account.id or 0, event, [Message(Kind.ESCALATION, channel, f"escalate:{due.id}", request_id=due.id)]
    )


def _expired(account: Account, due: Due) -> Change:
    event = Event(
        "request.expired",
        "change_request",
        str(due.id),
        before={"status": RequestStatus.PENDING.value},
        after={"status": RequestStatus.EXPIRED.value},
    )
    return Change(
        account.id or 0,
        event,
        [Message(Kind.OUTCOME, due.requester_id, f"outcome:{due.id}", request_id=due.id)],
    )
