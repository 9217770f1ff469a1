"""Who holds a seat: assign, unassign, wait for a seat, bulk import and export.

The licence count is never exceeded: an assignment locks the product row
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite writers hold the database lock),
counts, then inserts, so two people racing for the last seat cannot both
get it. The loser waits in line and gets the next free seat.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from bot.account_file import USER_ID
from bot.delivery.outbox import Kind
from bot.errors import InvalidInput
from bot.permissions import APPROVERS, Action
from bot.services import alerts
from bot.services.actors import Actor, load_actor, require
from bot.services.offers import WAITING, BuyOffer
from bot.services.products import find_product
from bot.services.recording import Event, Message, record
from storage import repositories as repo
from storage.models import (
    Account,
    PendingAssignment,
    Product,
    SeatAssignment,
    WaitingStatus,
)


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    WAITING = "waiting"
    """No free seat: queued, and the person is offered to buy or request more."""
    UNASSIGNED = "unassigned"
    WAITING_CANCELLED = "waiting_cancelled"


@dataclass(frozen=True)
class Assignment:
    outcome: Outcome
    product: Product
    used: int
    waiting: int
    """People waiting for a seat of this product, this one included."""
    can_buy: bool
    """The actor may add seats at once (owner, billing admin); otherwise they request them."""
    currency: str
    offer: BuyOffer | None = None
    """Waiting, and the actor may buy: the one-click offer to show them."""


def product_named(session: Session, *, account_id: int, text: str) -> Product:
    return find_product(repo.products(session, account_id=account_id), text)


def _locked_usage(session: Session, product: Product) -> int:
    """Lock the product row for this transaction and count its seats in use."""
    session.exec(select(Product.id).where(Product.id == product.id).with_for_update()).one()
    return repo.seats_in_use(session, product_id=product.id or 0)


def _holds(session: Session, product: Product, user_id: str) -> bool:
    return (
        session.exec(
            select(SeatAssignment.id).where(
                SeatAssignment.product_id == product.id, SeatAssignment.user_id == user_id
            )
        ).first()
        is not None
    )


def _waiting(session: Session, product: Product) -> list[PendingAssignment]:
    return list(
        session.exec(
            select(PendingAssignment)
            .where(
                PendingAssignment.product_id == product.id,
                PendingAssignment.status == WaitingStatus.WAITING.value,
            )
            .order_by(col(PendingAssignment.created_at), col(PendingAssignment.id))
        )
    )


def waiting_users(session: Session, *, product_id: int) -> list[str]:
    product = session.get(Product, product_id)
    assert product is not None
    return [w.user_id for w in _waiting(session, product)]


def assign(
    session: Session, *, team_id: str, user_id: str, target: str, product_text: str, now: datetime
) -> Assignment:
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.ASSIGN_SEATS)
    product = product_named(session, account_id=actor.account_id, text=product_text)
    used = _locked_usage(session, product)
    if _holds(session, product, target):
        raise InvalidInput("already_assigned", user=target, product=product.name)
    can_buy = actor.role in APPROVERS
    if used < product.seats:
        _give(session, actor.account, product, target, by=user_id, now=now, tell=target != user_id)
        alerts.evaluate(session, account=actor.account, product_ids=[product.id or 0], rising=True, now=now)
        return Assignment(
            Outcome.ASSIGNED,
            product,
            used + 1,
            len(_waiting(session, product)),
            can_buy,
            actor.account.currency,
        )
    queue = _waiting(session, product)
    if target not in [w.user_id for w in queue]:
        session.add(
            PendingAssignment(
                account_id=actor.account_id,
                product_id=product.id or 0,
                user_id=target,
                requested_by=user_id,
                created_at=now,
            )
        )
        waits = Event("seat.waiting", "user", target, actor_id=user_id, after={"product": product.key})
        record(session, account_id=actor.account_id, at=now, event=waits)
        session.flush()
    alerts.evaluate(session, account=actor.account, product_ids=[product.id or 0], rising=True, now=now)
    queue = _waiting(session, product)
    offer = None
    if can_buy:
        entry = next(w for w in queue if w.user_id == target)
        offer = BuyOffer(product.key, product.seats, max(len(queue), 1), f"{WAITING}{entry.id}")
    return Assignment(Outcome.WAITING, product, used, len(queue), can_buy, actor.account.currency, offer)


def unassign(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    target: str,
    product_text: str,
    now: datetime,
    notify: bool = True,
) -> Assignment:
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.ASSIGN_SEATS)
    product = product_named(session, account_id=actor.account_id, text=product_text)
    _locked_usage(session, product)
    seat = session.exec(
        select(SeatAssignment).where(
            SeatAssignment.product_id == product.id, SeatAssignment.user_id == target
        )
    ).first()
    outcome = Outcome.UNASSIGNED
    if seat is None:
        if not _cancel_waiting(session, actor, product, target, now):
            raise InvalidInput("not_assigned", user=target, product=product.name)
        outcome = Outcome.WAITING_CANCELLED
    else:
        session.delete(seat)
        session.flush()
        told = Message(
            Kind.SEAT_RELEASED,
            target,
            f"unassigned:{product.id}:{target}:{now.isoformat()}",
            params={"product": product.name, "by": user_id},
        )
        record(
            session,
            account_id=actor.account_id,
            at=now,
            event=Event(
                "seat.unassigned",
                "user",
                target,
                actor_id=user_id,
                before={"product": product.key, "assigned_at": seat.assigned_at.isoformat()},
            ),
            messages=[told] if notify and target != user_id else [],
        )
        alerts.evaluate(session, account=actor.account, product_ids=[product.id or 0], rising=False, now=now)
        fill_waiting(session, account=actor.account, product=product, now=now)
    used = repo.seats_in_use(session, product_id=product.id or 0)
    return Assignment(
        outcome,
        product,
        used,
        len(_waiting(session, product)),
        actor.role in APPROVERS,
        actor.account.currency,
    )


def _cancel_waiting(session: Session, actor: Actor, product: Product, target: str, now: datetime) -> bool:
    for waiting in _waiting(session, product):
        if waiting.user_id == target:
            waiting.status, waiting.closed_at = WaitingStatus.CANCELLED.value, now
            session.add(waiting)
            cancelled = Event(
                "seat.waiting_cancelled",
                "user",
                target,
                actor_id=actor.user_id,
                before={"product": product.key},
            )
            record(session, account_id=actor.account_id, at=now, event=cancelled)
            alerts.refresh_open(session, account=actor.account, product_id=product.id or 0, now=now)
            return True
    return False


def _give(
    session: Session,
    account: Account,
    product: Product,
    target: str,
    *,
    by: str | None,
    now: datetime,
    tell: bool,
    assigned_at: datetime | None = None,
    source: str | None = None,
) -> None:
    """Record the seat and its audit event; `tell` the person by DM."""
    assert account.id is not None
    session.add(
        SeatAssignment(
            account_id=account.id,
            product_id=product.id or 0,
            user_id=target,
            assigned_at=assigned_at or now,
            assigned_by=by,
        )
    )
    session.flush()
    granted = Message(
        Kind.SEAT_GRANTED,
        target,
        f"granted:{product.id}:{target}:{now.isoformat()}",
        params={"product": product.name, "by": by},
    )
    record(
        session,
        account_id=account.id,
        at=now,
        event=Event(
            "seat.assigned",
            "user",
            target,
            actor_id=by,
            after={"product": product.key, **({"source": source} if source else {})},
        ),
        messages=[granted] if tell else [],
    )


def fill_waiting(session: Session, *, account: Account, product: Product, now: datetime) -> list[str]:
    """Give free seats to the people waiting for them, first come first served; tell them."""
    used = _locked_usage(session, product)
    given: list[str] = []
    for waiting in _waiting(session, product):
        if used >= product.seats:
            break
        if not _holds(session, product, waiting.user_id):
            _give(session, account, product, waiting.user_id, by=waiting.requested_by, now=now, tell=True)
            used += 1
            given.append(waiting.user_id)
            if waiting.requested_by != waiting.user_id:
                done = Message(
                    Kind.WAITING_DONE,
                    waiting.requested_by,
                    f"waiting_done:{waiting.id}",
                    params={"product": product.name, "user": waiting.user_id},
                )
                record(session, account_id=account.id or 0, at=now, messages=[done])
        waiting.status, waiting.closed_at = WaitingStatus.DONE.value, now
        session.add(waiting)
    if given:
        session.flush()
        alerts.evaluate(session, account=account, product_ids=[product.id or 0], rising=True, now=now)
    return given


@dataclass(frozen=True)
class ImportReport:
    added: int
    already: int
    refused: list[str]
    """One line per row not taken, saying where and why."""


def import_rows(
    session: Session, *, account: Account, rows: list[tuple[int, dict[str, str]]], now: datetime
) -> ImportReport:
    """Add the agents of a usage export (user, product, assigned_at); rows already there are skipped."""
    assert account.id is not None
    added = already = 0
    refused: list[str] = []
    touched: set[int] = set()
    for line, row in rows:
        user = (row.get("user") or "").strip()
        product_text = (row.get("product") or "").strip()
        if not USER_ID.match(user):
            refused.append(f"line {line}: {user[:40]!r} is not a Slack user id")
            continue
        try:
            product = product_named(session, account_id=account.id, text=product_text)
            assigned_at = _parse_time(row.get("assigned_at"), now)
        except (InvalidInput, ValueError) as exc:
            refused.append(f"line {line}: {_why(exc, product_text)}")
            continue
        used = _locked_usage(session, product)
        if _holds(session, product, user):
            already += 1
            continue
        if used >= product.seats:
            refused.append(
                f"line {line}: {user}: no free {product.name} seat ({used} of {product.seats} in use)"
            )
            continue
        _give(
            session,
            account,
            product,
            user,
            by=None,
            now=now,
            tell=False,
            assigned_at=assigned_at,
            source="import",
        )
        added += 1
        touched.add(product.id or 0)
    alerts.evaluate(session, account=account, product_ids=sorted(touched), rising=True, now=now)
    return ImportReport(added, already, refused)


def _why(exc: Exception, product_text: str) -> str:
    if isinstance(exc, InvalidInput):
        return f"unknown product {product_text[:40]!r}"
    return str(exc)


def _parse_time(text: str | None, now: datetime) -> datetime:
    if not text or not text.strip():
        return now
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text.strip()!r}: give a time zone, e.g. 2026-01-05T09:00:00Z")
    return value


def export_rows(session: Session, *, account_id: int) -> list[dict[str, str]]:
    rows = session.exec(
        select(SeatAssignment, Product.key)
        .where(SeatAssignment.account_id == account_id, SeatAssignment.product_id == Product.id)
        .order_by(col(Product.position), col(SeatAssignment.assigned_at), col(SeatAssignment.id))
    ).all()
    return [
        {
            "user": a.user_id,
            "product": key,
            "assigned_at": a.assigned_at.isoformat().replace("+00:00", "Z"),
            "assigned_by": a.assigned_by or "",
        }
        for a, key in rows
    ]
