"""Read models of change requests, for messages (DMs, lists, App Home)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.domain.clock import utcnow
from bot.domain.errors import RequestNotFound
from bot.domain.permissions import Action
from bot.domain.request_view import LineView, RequestView, Totals, Usage
from bot.services.actors import load_actor, require
from bot.services.drafts import ChangePreview
from bot.services.ledger import level_of
from storage import repositories as repo
from storage.models import Account, ChangeRequest, ChangeRequestLine, RequestStatus

_LINES = select(ChangeRequestLine).where(
    col(ChangeRequestLine.request_id).in_(bindparam("request_ids", expanding=True))
)


def request_view(session: Session, request: ChangeRequest, account: Account) -> RequestView:
    return request_views(session, [request], account)[0]


def request_views(session: Session, requests: Sequence[ChangeRequest], account: Account) -> list[RequestView]:
    """Read models of several requests of `account` in two queries, however many lines,
    products and agents: their lines, and the account's products as they are now (seats in
    use, the monthly total, suites), which the requests waiting for a decision show."""
    if not requests:
        return []
    now = _products_now(session, account)
    lines: dict[int, list[LineView]] = {request.id or 0: [] for request in requests}
    rows = session.exec(_LINES, params={"request_ids": list(lines)}).all()
    order = now.order
    for line in sorted(rows, key=lambda row: (order[row.product_id], row.id or 0)):
        p = now.products[line.product_id]
        lines[line.request_id].append(
            LineView(
                p.name,
                line.from_seats,
                line.to_seats,
                p.price_per_seat,
                tuple(line.releases or ()),
                key=p.key,
                suite=p.suite,
            )
        )
    views = [_view(request, account, lines[request.id or 0]) for request in requests]
    # Seats in use and totals are what an approver weighs now; a decided request keeps its record.
    return [now.shown(view) if view.status is RequestStatus.PENDING else view for view in views]


def written_view(request: ChangeRequest, account: Account, change: ChangePreview) -> RequestView:
    """The read model of a request written in this transaction from `change`, without
    reading it back: its lines as written, not the products as they are now (what the form
    shows once it is sent)."""
    lines = [
        LineView(
            line.name,
            line.before,
            line.after,
            line.price_per_seat,
            tuple(holder.user_id for holder in line.releases),
            key=line.key,
            suite=line.suite,
        )
        for line in change.lines
    ]
    return _view(request, account, lines)


def _view(request: ChangeRequest, account: Account, lines: Sequence[LineView]) -> RequestView:
    return RequestView(
        id=request.id or 0,
        requester_id=request.requester_id,
        status=RequestStatus(request.status),
        direct=request.direct,
        justification=request.justification,
        created_at=request.created_at,
        decided_by=request.decided_by,
        decided_at=request.decided_at,
        decline_reason=request.decline_reason,
        currency=account.currency,
        lines=tuple(lines),
        version=request.version,
    )


@dataclass(frozen=True)
class _ProductNow:
    key: str
    name: str
    suite: str | None
    price_per_seat: Decimal | None
    usage: Usage


@dataclass(frozen=True)
class _ProductsNow:
    """The account's products as they are now: what an approver weighs."""

    products: dict[int, _ProductNow]
    """By product id, in display order."""
    total: Decimal | None

    @property
    def order(self) -> dict[int, int]:
        return {product_id: index for index, product_id in enumerate(self.products)}

    def shown(self, view: RequestView) -> RequestView:
        usage = {p.key: p.usage for p in self.products.values()}
        lines = tuple(replace(line, now=usage.get(line.key)) for line in view.lines)
        totals = None
        if self.total is not None and view.cost_delta is not None:
            totals = Totals(self.total, self.total + view.cost_delta)
        touched = dict.fromkeys(line.suite for line in view.lines if line.suite)
        suites = tuple(
            (suite, members)
            for suite in touched
            if len(members := tuple(p.name for p in self.products.values() if p.suite == suite)) > 1
        )
        return replace(view, lines=lines, totals=totals, suites=suites)


def _products_now(session: Session, account: Account) -> _ProductsNow:
    """Every product of the account with its seats in use, in one query."""
    idle_before = utcnow() - timedelta(seconds=account.idle_after_s)
    rows = repo.products_in_use_and_to_free(session, account_id=account.id or 0, idle_before=idle_before)
    threshold = account.alert_threshold_pct
    products = {
        p.id or 0: _ProductNow(
            p.key,
            p.name,
            p.suite,
            p.price_per_seat,
            Usage(p.seats, count, level_of(count, p.seats, threshold), to_free),
        )
        for p, count, to_free in rows
    }
    prices = [p.price_per_seat * p.usage.seats for p in products.values() if p.price_per_seat is not None]
    return _ProductsNow(products, sum(prices, Decimal(0)) if prices else None)


def load_request_view(session: Session, *, account_id: int, request_id: int) -> RequestView | None:
    """The request of this account (None if it is not one: another account's reads as absent)."""
    request = session.get(ChangeRequest, request_id)
    if request is None or request.account_id != account_id:
        return None
    account = session.get(Account, account_id)
    assert account is not None
    return request_view(session, request, account)


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
    return request_view(session, request, actor.account)
