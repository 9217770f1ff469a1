"""Read models of change requests, for messages (DMs, lists, App Home)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.domain.errors import RequestNotFound
from bot.domain.permissions import Action
from bot.domain.request_view import LineView, RequestView
from bot.services.actors import load_actor, require
from storage.models import Account, ChangeRequest, ChangeRequestLine, Product, RequestStatus


def request_view(session: Session, request: ChangeRequest, currency: str) -> RequestView:
    return request_views(session, [request], currency)[0]


def request_views(session: Session, requests: Sequence[ChangeRequest], currency: str) -> list[RequestView]:
    """Read models of several requests of one account, their lines in one query."""
    lines: dict[int, list[LineView]] = {request.id or 0: [] for request in requests}
    if lines:
        rows = session.exec(
            select(ChangeRequestLine, Product)
            .where(col(ChangeRequestLine.request_id).in_(lines), ChangeRequestLine.product_id == Product.id)
            .order_by(col(Product.position), col(Product.id))
        ).all()
        for line, p in rows:
            lines[line.request_id].append(
                LineView(p.name, line.from_seats, line.to_seats, p.price_per_seat, tuple(line.releases or ()))
            )
    return [
        RequestView(
            id=request.id or 0,
            requester_id=request.requester_id,
            status=RequestStatus(request.status),
            direct=request.direct,
            justification=request.justification,
            created_at=request.created_at,
            decided_by=request.decided_by,
            decided_at=request.decided_at,
            decline_reason=request.decline_reason,
            currency=currency,
            lines=tuple(lines[request.id or 0]),
        )
        for request in requests
    ]


def load_request_view(session: Session, *, account_id: int, request_id: int) -> RequestView | None:
    """The request of this account (None if it is not one: another account's reads as absent)."""
    request = session.get(ChangeRequest, request_id)
    if request is None or request.account_id != account_id:
        return None
    account = session.get(Account, account_id)
    assert account is not None
    return request_view(session, request, account.currency)


def readable_request(session: Session, *, team_id: str, user_id: str, request_id: int) -> RequestView:
    """The whole request, for its requester or for someone who may decide it.

    Ids in button values are untrusted: a request of another workspace reads as not found,
    and anyone else of this one is told who may read it."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    request = session.get(ChangeRequest, request_id)
    if request is None or request.account_id != actor.account_id:
        raise RequestNotFound(request_id)
    if request.requester_id != user_id:
        require(session, actor, Action.DECIDE_REQUEST)
    return request_view(session, request, actor.account.currency)
