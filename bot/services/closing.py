"""Closing a pending request: the one way it leaves `pending`, once.

Shared by a decision, an expiry and an approval within a standing allowance.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session, col

from bot.domain.errors import AlreadyDecided, RequestChanged
from bot.services.outbox import cancel_reminders, cancel_reminders_of
from storage import repositories as repo
from storage.models import ChangeRequest, RequestStatus


def close_request(
    session: Session,
    request: ChangeRequest,
    status: RequestStatus,
    *,
    by: str | None,
    now: datetime,
    reason: str | None,
    version: int | None = None,
) -> None:
    """Move a pending request to `status`, once; AlreadyDecided if it was no longer pending.
    With `version`, only that version of it: RequestChanged if its requester amended it since."""
    seen = [col(ChangeRequest.version) == version] if version is not None else []
    changed = repo.update_if_pending(
        session,
        request.id or 0,
        *seen,
        status=status.value,
        decided_by=by,
        decided_at=now,
        updated_at=now,
        decline_reason=reason,
        next_due_at=None,
    )
    session.refresh(request)
    if not changed and request.status == RequestStatus.PENDING.value:
        raise RequestChanged(request.id or 0, request.version)
    if not changed:
        raise AlreadyDecided(request.id or 0, request.status, request.decided_by, request.decided_at)
    cancel_reminders(session, request_id=request.id or 0)


def close_requests(
    session: Session, request_ids: Collection[int], status: RequestStatus, *, now: datetime
) -> set[int]:
    """`close_request` for many requests at once, by no one (the scheduler's expiries), in
    two statements; the ids it closed: those still pending."""
    closed = repo.update_pending_many(
        session,
        repo.per_request(session, "closing", list(request_ids)),
        status=status.value,
        decided_by=None,
        decided_at=now,
        updated_at=now,
        decline_reason=None,
        next_due_at=None,
    )
    cancel_reminders_of(session, request_ids=closed)
    return closed
