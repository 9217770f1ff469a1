"""Requests nobody answers: nudged, then escalated to the channel, then expired.

Each step is a conditional UPDATE on the request (`WHERE nudge_count = :seen`,
`WHERE escalated_at IS NULL`, `WHERE status = 'pending'`), so however many
replicas run this job at the same moment, each step happens exactly once.
The clock is a parameter: the job reads it once and passes it down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.delivery.outbox import Kind, enqueue
from bot.errors import AlreadyDecided
from bot.permissions import APPROVERS
from bot.services.decisions import close_request, refresh_copies
from storage import repositories as repo
from storage.models import Account, ChangeRequest, RequestStatus


@dataclass
class NudgeRun:
    nudged: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)


def run_nudges(session: Session, *, now: datetime) -> NudgeRun:
    run = NudgeRun()
    rows = session.exec(
        select(ChangeRequest, Account)
        .where(
            ChangeRequest.status == RequestStatus.PENDING.value,
            ChangeRequest.account_id == Account.id,
            col(ChangeRequest.direct).is_(False),
        )
        .order_by(col(ChangeRequest.id))
    ).all()
    for request, account in rows:
        assert request.id is not None
        if now - request.created_at >= timedelta(seconds=account.expire_after_s):
            if _expire(session, account, request, now):
                run.expired.append(request.id)
        elif request.nudge_count < account.max_nudges:
            wait = account.nudge_after_s if request.nudge_count == 0 else account.nudge_every_s
            since = request.last_nudged_at or request.created_at
            if since + timedelta(seconds=wait) <= now and _nudge(session, account, request, now):
                run.nudged.append(request.id)
        elif request.escalated_at is None and account.alerts_channel:
            since = request.last_nudged_at or request.created_at
            if since + timedelta(seconds=account.nudge_every_s) <= now and _escalate(
                session, account, request, now
            ):
                run.escalated.append(request.id)
    return run


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
    for approver in repo.holders_of(session, account_id=account.id or 0, roles=APPROVERS):
        if approver == request.requester_id:
            continue
        # Delivered within the approver's working hours: the sender holds it until then.
        enqueue(
            session,
            account_id=account.id or 0,
            kind=Kind.NUDGE,
            recipient=approver,
            dedupe_key=f"nudge:{request.id}:{seen + 1}:{approver}",
            now=now,
            request_id=request.id,
            params={"nudge": seen + 1},
        )
    repo.add_audit(
        session,
        account_id=account.id or 0,
        at=now,
        actor_id=None,
        action="request.nudged",
        subject_type="change_request",
        subject_id=str(request.id),
        after={"nudge": seen + 1},
    )
    return True


def _escalate(session: Session, account: Account, request: ChangeRequest, now: datetime) -> bool:
    if not repo.update_if_pending(
        session, request.id or 0, col(ChangeRequest.escalated_at).is_(None), escalated_at=now, updated_at=now
    ):
        return False
    assert account.alerts_channel is not None
    enqueue(
        session,
        account_id=account.id or 0,
        kind=Kind.ESCALATION,
        recipient=account.alerts_channel,
        dedupe_key=f"escalate:{request.id}",
        now=now,
        request_id=request.id,
    )
    repo.add_audit(
        session,
        account_id=account.id or 0,
        at=now,
        actor_id=None,
        action="request.escalated",
        subject_type="change_request",
        subject_id=str(request.id),
        after={"channel": account.alerts_channel},
    )
    return True


def _expire(session: Session, account: Account, request: ChangeRequest, now: datetime) -> bool:
    try:
        close_request(session, request, RequestStatus.EXPIRED, by=None, now=now, reason=None)
    except AlreadyDecided:
        return False  # decided (or expired by another replica) a moment ago
    repo.add_audit(
        session,
        account_id=account.id or 0,
        at=now,
        actor_id=None,
        action="request.expired",
        subject_type="change_request",
        subject_id=str(request.id),
        before={"status": RequestStatus.PENDING.value},
        after={"status": RequestStatus.EXPIRED.value},
    )
    enqueue(
        session,
        account_id=account.id or 0,
        kind=Kind.OUTCOME,
        recipient=request.requester_id,
        dedupe_key=f"outcome:{request.id}",
        now=now,
        request_id=request.id,
    )
    refresh_copies(session, account_id=account.id or 0, request_id=request.id or 0, now=now)
    return True
