"""Requests nobody answers: nudged, then escalated to the channel, then expired.

Each request is handled in its own short transaction (`run_step`, driven by
`bot.runtime.jobs`), so one failing request is logged and skipped while the others go
on. A pass reads only pending requests whose `next_due_at` has come, of accounts
whose workspace has seatbot installed: after an uninstall the requests are kept,
untouched, and their reminders resume if seatbot is installed again.

Each step is a conditional UPDATE on the request (`WHERE nudge_count = :seen`,
`WHERE escalated_at IS NULL`, `WHERE status = 'pending'`), so however many
replicas run this job at the same moment, each step happens exactly once.
The clock is a parameter: the job reads it once and passes it down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.domain.errors import AlreadyDecided
from bot.domain.permissions import APPROVERS
from bot.services.decisions import close_request, refresh_copies
from bot.services.outbox import Kind
from bot.services.recording import Event, Message, record
from bot.services.schedule import next_due
from storage import repositories as repo
from storage.models import Account, ChangeRequest, RequestStatus


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


def due_requests(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Pending requests whose next step is due: read through the partial index on due times,
    so a pass costs what is due, not the whole history."""
    ids = session.exec(
        select(ChangeRequest.id)
        .join(Account, col(Account.id) == col(ChangeRequest.account_id))
        .where(
            ChangeRequest.status == RequestStatus.PENDING.value,
            col(ChangeRequest.next_due_at) <= now,
            col(Account.uninstalled_at).is_(None),
        )
        .order_by(col(ChangeRequest.next_due_at), col(ChangeRequest.id))
        .limit(limit)
    ).all()
    return [request_id for request_id in ids if request_id is not None]


def next_wake(session: Session) -> datetime | None:
    """The earliest due time of any pending request: when the scheduler has work next."""
    return session.exec(
        select(func.min(ChangeRequest.next_due_at))
        .join(Account, col(Account.id) == col(ChangeRequest.account_id))
        .where(ChangeRequest.status == RequestStatus.PENDING.value, col(Account.uninstalled_at).is_(None))
    ).one()


def run_step(session: Session, *, request_id: int, now: datetime) -> Step | None:
    """Take the one step due for a request (remind, escalate or expire), then set its next due time.

    Run in its own transaction per request by the job. None when nothing was due, or another
    replica took the step first (its conditional update matched, ours did not).
    """
    request = session.get(ChangeRequest, request_id)
    if request is None or request.status != RequestStatus.PENDING.value:
        return None
    account = session.get(Account, request.account_id)
    assert account is not None
    if request.next_due_at is None or request.next_due_at > now:
        return None  # handled by another replica since the pass read it
    step: Step | None = None
    since = request.last_nudged_at or request.created_at
    if now - request.created_at >= timedelta(seconds=account.expire_after_s):
        step = Step.EXPIRED if _expire(session, account, request, now) else None
    elif request.nudge_count < account.max_nudges:
        wait = account.nudge_after_s if request.nudge_count == 0 else account.nudge_every_s
        if since + timedelta(seconds=wait) <= now and _nudge(session, account, request, now):
            step = Step.NUDGED
    elif request.escalated_at is None and account.alerts_channel:
        escalate_at = since + timedelta(seconds=account.nudge_every_s)
        step = Step.ESCALATED if escalate_at <= now and _escalate(session, account, request, now) else None
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
    # Delivered within each approver's working hours: the sender holds a reminder until then.
    reminders = [
        Message(
            Kind.NUDGE,
            approver,
            f"nudge:{request.id}:{seen + 1}:{approver}",
            request_id=request.id,
            params={"nudge": seen + 1},
        )
        for approver in repo.holders_of(session, account_id=account.id or 0, roles=APPROVERS)
        if approver != request.requester_id
    ]
    record(
        session,
        account_id=account.id or 0,
        at=now,
        event=Event("request.nudged", "change_request", str(request.id), after={"nudge": seen + 1}),
        messages=reminders,
    )
    return True


def _escalate(session: Session, account: Account, request: ChangeRequest, now: datetime) -> bool:
    if not repo.update_if_pending(
        session, request.id or 0, col(ChangeRequest.escalated_at).is_(None), escalated_at=now, updated_at=now
    ):
        return False
    assert account.alerts_channel is not None
    channel = account.alerts_channel
    record(
        session,
        account_id=account.id or 0,
        at=now,
        event=Event("request.escalated", "change_request", str(request.id), after={"channel": channel}),
        messages=[Message(Kind.ESCALATION, channel, f"escalate:{request.id}", request_id=request.id)],
    )
    return True


def _expire(session: Session, account: Account, request: ChangeRequest, now: datetime) -> bool:
    try:
        close_request(session, request, RequestStatus.EXPIRED, by=None, now=now, reason=None)
    except AlreadyDecided:
        return False  # decided (or expired by another replica) a moment ago
    record(
        session,
        account_id=account.id or 0,
        at=now,
        event=Event(
            "request.expired",
            "change_request",
            str(request.id),
            before={"status": RequestStatus.PENDING.value},
            after={"status": RequestStatus.EXPIRED.value},
        ),
        messages=[
            Message(Kind.OUTCOME, request.requester_id, f"outcome:{request.id}", request_id=request.id)
        ],
    )
    refresh_copies(session, account_id=account.id or 0, request_id=request.id or 0, now=now)
    return True
