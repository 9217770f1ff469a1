"""When the scheduler next has work for a pending request: pure, from the policy.

`change_request.next_due_at` stores this, so a scheduler pass reads only the
requests that are due (the index is partial on pending requests) and the loop
can sleep until the earliest of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage.models import Account, ChangeRequest, RequestStatus


def next_due(account: Account, request: ChangeRequest) -> datetime | None:
    """The next reminder, escalation or expiry of `request`, whichever comes first.

    None once the request is closed (or was a direct change): nothing left to do.
    """
    if request.status != RequestStatus.PENDING.value or request.direct:
        return None
    return pending_due(
        account,
        created_at=request.created_at,
        nudge_count=request.nudge_count,
        last_nudged_at=request.last_nudged_at,
        escalated_at=request.escalated_at,
    )


def pending_due(
    account: Account,
    *,
    created_at: datetime,
    nudge_count: int,
    last_nudged_at: datetime | None,
    escalated_at: datetime | None,
) -> datetime:
    """`next_due` of a pending request in this state (a scheduler pass computes it for the
    state a step is about to leave, before writing both at once)."""
    expiry = created_at + timedelta(seconds=account.expire_after_s)
    since = last_nudged_at or created_at
    step: datetime | None = None
    if nudge_count < account.max_nudges:
        wait = account.nudge_after_s if nudge_count == 0 else account.nudge_every_s
        step = since + timedelta(seconds=wait)
    elif escalated_at is None and account.alerts_channel:
        step = since + timedelta(seconds=account.nudge_every_s)
    return expiry if step is None else min(step, expiry)
