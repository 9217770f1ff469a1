"""`/seats requests` and App Home: your requests and, for approvers, the queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.domain.permissions import APPROVERS, Action
from bot.domain.request_view import RequestView
from bot.services.actors import Actor, load_actor, require
from bot.services.request_views import request_views
from storage.models import ChangeRequest, RequestStatus


@dataclass(frozen=True)
class Overview:
    mine: list[RequestView]
    queue: list[RequestView] | None
    """Pending requests the person may decide (None for non-approvers)."""


def overview(session: Session, *, team_id: str, user_id: str, limit: int = 10) -> Overview:
    return overview_for(session, load_actor(session, team_id=team_id, user_id=user_id), limit=limit)


_MINE = (
    select(ChangeRequest)
    .where(
        ChangeRequest.account_id == bindparam("account_id"),
        ChangeRequest.requester_id == bindparam("user_id"),
    )
    .order_by(col(ChangeRequest.created_at).desc(), col(ChangeRequest.id).desc())
    .limit(bindparam("limit"))
)
_QUEUE = (
    select(ChangeRequest)
    .where(
        ChangeRequest.account_id == bindparam("account_id"),
        ChangeRequest.status == RequestStatus.PENDING.value,
        ChangeRequest.requester_id != bindparam("user_id"),
    )
    .order_by(col(ChangeRequest.created_at), col(ChangeRequest.id))
    .limit(bindparam("limit"))
)
"""Built once: App Home runs them on every redraw."""


def overview_for(session: Session, actor: Actor, *, limit: int = 10) -> Overview:
    require(session, actor, Action.SEE_SUMMARY)
    params = {"account_id": actor.account_id, "user_id": actor.user_id, "limit": limit}
    mine = session.exec(_MINE, params=params).all()
    pending: Sequence[ChangeRequest] | None = None
    if actor.role in APPROVERS:
        pending = session.exec(_QUEUE, params=params).all()
    # Both lists in one read: their lines, and the products as they are now, once.
    views = request_views(session, [*mine, *(pending or ())], actor.account)
    queue = None if pending is None else views[len(mine) :]
    return Overview(views[: len(mine)], queue)
