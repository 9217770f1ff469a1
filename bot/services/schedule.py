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
    expiry = request.created_at + timedelta(seconds=account.expire_after_s)
    since = request.last_nudged_at or request.created_at
    step: datetime | None = None
    if request.nudge_count < account.max_nudges:
        wait = account.nudge_after_s if request.nudge_count == 0 else account.nudge_every_s
        step = since + timedelta(seconds=wait)
    elif request.escalated_at is None and account.alerts_channel:
        step = since + timedelta(seconds=account.nudge_every_s)
    return expiry if step is None else min(step, expiry)
