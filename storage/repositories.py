"""Data access: keyword-only functions that take the session and never commit.

The service that calls them owns the transaction (STYLE, practice 4).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, and_, func, update
from sqlmodel import Session, col, select

from storage.models import (
    Account,
    AuditEvent,
    ChangeRequest,
    PendingAssignment,
    Product,
    RequestStatus,
    Role,
    RoleGrant,
    SeatAssignment,
    WaitingStatus,
)


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE: how conditional writes learn whether they won."""
    return int(cast(CursorResult[Any], result).rowcount)


def update_if_pending(session: Session, request_id: int, *conditions: Any, **values: Any) -> bool:
    """`UPDATE change_request SET … WHERE id = … AND status = 'pending' AND <conditions>`.

    The one way a pending request changes: of several writers racing (two
    approvers, a double click, replicas of a job), exactly one sees True.
    """
    statement = (
        update(ChangeRequest)
        .where(
            col(ChangeRequest.id) == request_id,
            col(ChangeRequest.status) == RequestStatus.PENDING.value,
            *conditions,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(session.execute(statement)) == 1


def account_by_team(session: Session, *, team_id: str) -> Account | None:
    return session.exec(select(Account).where(Account.team_id == team_id)).first()


def account_and_role(session: Session, *, team_id: str, user_id: str) -> tuple[Account, Role] | None:
    """The team's account and the person's role on it, in one round trip (every request's first)."""
    query = (
        select(Account, RoleGrant.role)
        .outerjoin(
            RoleGrant, and_(col(RoleGrant.account_id) == Account.id, col(RoleGrant.user_id) == user_id)
        )
        .where(Account.team_id == team_id)
    )
    found = session.exec(query).first()
    if found is None:
        return None
    account, role = found
    return account, Role(role) if role else Role.MEMBER


def products(session: Session, *, account_id: int) -> list[Product]:
    query = select(Product).where(Product.account_id == account_id)
    return list(session.exec(query.order_by(col(Product.position), col(Product.id))))


def products_in_use(session: Session, *, account_id: int) -> list[tuple[Product, int]]:
    """Every product of the account, in display order, with its seats in use: one query."""
    used = func.count(col(SeatAssignment.id))
    query = (
        select(Product, used)
        .outerjoin(SeatAssignment, col(SeatAssignment.product_id) == col(Product.id))
        .where(Product.account_id == account_id)
        .group_by(col(Product.id))  # its key: PostgreSQL then takes the other columns as they are
        .order_by(col(Product.position), col(Product.id))
    )
    return [(product, int(count)) for product, count in session.exec(query)]


def used_seats(session: Session, *, account_id: int) -> dict[int, int]:
    """Seats in use per product id (products with none are absent)."""
    query = (
        select(SeatAssignment.product_id, func.count())
        .where(SeatAssignment.account_id == account_id)
        .group_by(col(SeatAssignment.product_id))
    )
    return {product_id: count for product_id, count in session.exec(query)}


def seats_in_use(session: Session, *, product_id: int) -> int:
    query = select(func.count()).select_from(SeatAssignment).where(SeatAssignment.product_id == product_id)
    return int(session.exec(query).one())


def seats_in_use_of(session: Session, *, product_ids: Sequence[int]) -> dict[int, int]:
    """Seats in use of each of these products (products with none are absent)."""
    query = (
        select(SeatAssignment.product_id, func.count())
        .where(col(SeatAssignment.product_id).in_(product_ids))
        .group_by(col(SeatAssignment.product_id))
    )
    return {product_id: count for product_id, count in session.exec(query)}


def waiting(session: Session, *, product_id: int) -> list[PendingAssignment]:
    """Who waits for a seat of the product, first come first served."""
    query = select(PendingAssignment).where(
        PendingAssignment.product_id == product_id,
        PendingAssignment.status == WaitingStatus.WAITING.value,
    )
    return list(session.exec(query.order_by(col(PendingAssignment.created_at), col(PendingAssignment.id))))


def assignments(session: Session, *, account_id: int) -> list[SeatAssignment]:
    query = select(SeatAssignment).where(SeatAssignment.account_id == account_id)
    return list(session.exec(query.order_by(col(SeatAssignment.id))))


def role_grants(session: Session, *, account_id: int) -> list[RoleGrant]:
    query = select(RoleGrant).where(RoleGrant.account_id == account_id)
    return list(session.exec(query.order_by(col(RoleGrant.id))))


def role_of(session: Session, *, account_id: int, user_id: str) -> Role:
    query = select(RoleGrant.role).where(RoleGrant.account_id == account_id, RoleGrant.user_id == user_id)
    role = session.exec(query).first()
    return Role(role) if role else Role.MEMBER


def holders_of(session: Session, *, account_id: int, roles: Iterable[Role]) -> list[str]:
    """User ids holding any of `roles`, owner first, then in grant order."""
    wanted = [r.value for r in roles]
    query = select(RoleGrant).where(RoleGrant.account_id == account_id, col(RoleGrant.role).in_(wanted))
    grants = sorted(session.exec(query), key=lambda g: (g.role != Role.OWNER.value, g.id or 0))
    return [g.user_id for g in grants]


def add_audit(
    session: Session,
    *,
    account_id: int,
    at: datetime,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        account_id=account_id,
        at=at,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
    )
    session.add(event)
    return event
