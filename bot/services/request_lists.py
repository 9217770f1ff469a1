"""`/seats requests` and App Home: your requests and, for approvers, the queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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


def overview_for(session: Session, actor: Actor, *, limit: int = 10) -> Overview:
    require(session, actor, Action.SEE_SUMMARY)
    user_id = actor.user_id
    mine = session.exec(
        select(ChangeRequest)
        .where(ChangeRequest.account_id == actor.account_id, ChangeRequest.requester_id == user_id)
        .order_by(col(ChangeRequest.created_at).desc(), col(ChangeRequest.id).desc())
        .limit(limit)
    ).all()
    pending: Sequence[ChangeRequest] | None = None
    if actor.role in APPROVERS:
        pending = session.exec(
            select(ChangeRequest)
            .where(
                ChangeRequest.account_id == actor.account_id,
                ChangeRequest.status == RequestStatus.PENDING.value,
                ChangeRequest.requester_id != user_id,
            )
            .order_by(col(ChangeRequest.created_at), col(ChangeRequest.id))
            .limit(limit)
        ).all()
    # Both lists in one read: their lines, and the products as they are now, once.
    views = request_views(session, [*mine, *(pending or ())], actor.account)
    queue = None if pending is None else views[len(mine) :]
    return Overview(views[: len(mine)], queue)
