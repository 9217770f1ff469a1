"""Closing a pending request: the one way it leaves `pending`, once.

Shared by a decision, an expiry and an approval within a standing allowance.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.domain.errors import AlreadyDecided
from bot.services.outbox import cancel_reminders
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
) -> None:
    """Move a pending request to `status`, once; AlreadyDecided if it was no longer pending."""
    changed = repo.update_if_pending(
        session,
        request.id or 0,
        status=status.value,
        decided_by=by,
        decided_at=now,
        updated_at=now,
        decline_reason=reason,
        next_due_at=None,
    )
    session.refresh(request)
    if not changed:
        raise AlreadyDecided(request.id or 0, request.status, request.decided_by, request.decided_at)
    cancel_reminders(session, request_id=request.id or 0)
