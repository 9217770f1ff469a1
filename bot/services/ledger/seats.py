"""Who holds a seat: give one, take one back, wait in line for one.

The licence count is never exceeded: a seat is given under a lock on the
product row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite writers hold the
database lock), after counting, so two people racing for the last seat cannot
both get it. The loser waits in line and gets the next free seat.

Bots and deactivated people hold no seat: an assignment (or a place in line)
and an import ask `may_hold` first. What the ledger knows of a person comes
from the caller (`Person`), who asked Slack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session, select

from bot.domain.errors import InvalidInput
from bot.services.forecasts import forget
from bot.services.ledger import alerts
from bot.services.outbox import Kind
from bot.services.recording import Event, Message, record
from storage import repositories as repo
from storage.models import Account, PendingAssignment, Product, SeatAssignment, WaitingStatus


@dataclass(frozen=True)
class Person:
    """Someone who may hold a seat, as the caller's user directory describes them.

    A caller with no directory at hand (an import without a Slack token) knows
    nothing against anyone: `Person(user_id)`.
    """

    user_id: str
    is_bot: bool = False
    deactivated: bool = False


def may_hold(person: Person) -> None:
    """Bots and deactivated people get no seat (nor a place in line for one)."""
    if person.is_bot:
        raise InvalidInput("is_bot", user=person.user_id)
    if person.deactivated:
        raise InvalidInput("deactivated", user=person.user_id)


def waiting_users(session: Session, *, product_id: int) -> list[str]:
    return [w.user_id for w in repo.waiting(session, product_id=product_id)]


def _locked_usage(session: Session, product: Product) -> int:
    """Lock the product row for this transaction and count its seats in use.

    FOR NO KEY UPDATE: it serialises whoever changes the product's seats, without waiting
    for transactions that only reference the product (a request's lines, an allowance's
    month), which would deadlock against them."""
    session.exec(select(Product.id).where(Product.id == product.id).with_for_update(key_share=True)).one()
    return repo.seats_in_use(session, product_id=product.id or 0)


def _seat_of(session: Session, product: Product, user_id: str) -> SeatAssignment | None:
    query = select(SeatAssignment).where(
        SeatAssignment.product_id == product.id, SeatAssignment.user_id == user_id
    )
    return session.exec(query).first()


@dataclass(frozen=True)
class Placed:
    seated: bool
    """True: the person has the seat now; False: they wait in line for one."""
    used: int
    """Seats of the product in use afterwards."""
    queue: list[PendingAssignment]
    """Who waits for the product afterwards, first first."""


def assign(
    session: Session, *, account: Account, product: Product, person: Person, by: str, now: datetime
) -> Placed:
    """Give `person` a free seat, or a place in line when none is free; tell them by DM
    unless they assigned themselves."""
    may_hold(person)
    target = person.user_id
    used = _locked_usage(session, product)
    if _seat_of(session, product, target) is not None:
        raise InvalidInput("already_assigned", user=target, product=product.name)
    if used < product.seats:
        _give(session, account.id or 0, product, target, by=by, now=now, tell=target != by)
        settle(session, account=account, product=product, rising=True, now=now)
        return Placed(True, used + 1, repo.waiting(session, product_id=product.id or 0))
    if target not in waiting_users(session, product_id=product.id or 0):
        session.add(
            PendingAssignment(
                account_id=account.id or 0,
                product_id=product.id or 0,
                user_id=target,
                requested_by=by,
                created_at=now,
            )
        )
        waits = Event("seat.waiting", "user", target, actor_id=by, after={"product": product.key})
        record(session, account_id=account.id or 0, at=now, event=waits)
        session.flush()
    # Rising: a full product's alert now names one more person waiting.
    settle(session, account=account, product=product, rising=True, now=now)
    return Placed(False, used, repo.waiting(session, product_id=product.id or 0))


def unassign(
    session: Session, *, account: Account, product: Product, person: Person, by: str, now: datetime
) -> bool:
    """Free the person's seat (True; the next in line gets it), or take them out of the
    line (False). They are told by DM, unless they did it themselves or are deactivated
    (a deactivated account can't read one)."""
    target = person.user_id
    _locked_usage(session, product)
    seat = _seat_of(session, product, target)
    if seat is None:
        if not _cancel_waiting(session, account, product, target, by=by, now=now):
            raise InvalidInput("not_assigned", user=target, product=product.name)
        return False
    session.delete(seat)
    session.flush()
    told = Message(
        Kind.SEAT_RELEASED,
        target,
        f"unassigned:{product.id}:{target}:{now.isoformat()}",
        params={"product": product.name, "by": by},
    )
    record(
        session,
        account_id=account.id or 0,
        at=now,
        event=Event(
            "seat.unassigned",
            "user",
            target,
            actor_id=by,
            before={"product": product.key, "assigned_at": seat.assigned_at.isoformat()},
        ),
        messages=[told] if target != by and not person.deactivated else [],
    )
    settle(session, account=account, product=product, rising=False, now=now)
    return True


def _cancel_waiting(
    session: Session, account: Account, product: Product, target: str, *, by: str, now: datetime
) -> bool:
    for waiting in repo.waiting(session, product_id=product.id or 0):
        if waiting.user_id == target:
            waiting.status, waiting.closed_at = WaitingStatus.CANCELLED.value, now
            session.add(waiting)
            cancelled = Event(
                "seat.waiting_cancelled", "user", target, actor_id=by, before={"product": product.key}
            )
            record(session, account_id=account.id or 0, at=now, event=cancelled)
            alerts.refresh_open(session, account=account, product_id=product.id or 0, now=now)
            return True
    return False


def _give(
    session: Session,
    account_id: int,
    product: Product,
    target: str,
    *,
    by: str | None,
    now: datetime,
    tell: bool,
    assigned_at: datetime | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Record the seat and its audit event (with `details`); `tell` the person by DM."""
    session.add(
        SeatAssignment(
            account_id=account_id,
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
        account_id=account_id,
        at=now,
        event=Event(
            "seat.assigned", "user", target, actor_id=by, after={"product": product.key, **(details or {})}
        ),
        messages=[granted] if tell else [],
    )


def settle(session: Session, *, account: Account, product: Product, rising: bool, now: datetime) -> None:
    """The consequences of a product's usage or seat count moving: its alert opens, worsens
    or closes; a seat freed (or added) goes to whoever waits for one."""
    alerts.evaluate(session, account=account, product_ids=[product.id or 0], rising=rising, now=now)
    if not rising:
        fill_waiting(session, account=account, product=product, now=now)


def fill_waiting(session: Session, *, account: Account, product: Product, now: datetime) -> list[str]:
    """Give free seats to the people waiting for them, first come first served; tell them."""
    used = _locked_usage(session, product)
    given: list[str] = []
    for waiting in repo.waiting(session, product_id=product.id or 0):
        if used >= product.seats:
            break
        if _seat_of(session, product, waiting.user_id) is None:
            _give(
                session,
                account.id or 0,
                product,
                waiting.user_id,
                by=waiting.requested_by,
                now=now,
                tell=True,
            )
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
        settle(session, account=account, product=product, rising=True, now=now)
    return given


@dataclass(frozen=True)
class Agent:
    """A seat someone already has elsewhere (a usage export, the account file)."""

    user_id: str
    product: Product
    assigned_at: datetime


class Taken(StrEnum):
    ADDED = "added"
    ALREADY = "already"
    """They hold that seat already: nothing to do."""
    FULL = "full"
    """No free seat: not taken (an import does not queue)."""
    REFUSED = "refused"
    """They may not hold a seat (`may_hold`)."""


@dataclass(frozen=True)
class Imported:
    taken: Taken
    used: int = 0
    """Full: the seats in use."""
    refusal: InvalidInput | None = None


def import_agents(
    session: Session,
    *,
    account: Account,
    agents: Sequence[Agent],
    people: Callable[[str], Person],
    now: datetime,
) -> list[Imported]:
    """Seat each agent if a seat is free (no DM: they have it already); one result per agent.

    `people` says who someone is; it is asked only about agents about to be seated.
    The alerts of the products that filled up are opened once, at the end.
    """
    results: list[Imported] = []
    touched: dict[int, Product] = {}
    for agent in agents:
        product = agent.product
        used = _locked_usage(session, product)
        if _seat_of(session, product, agent.user_id) is not None:
            results.append(Imported(Taken.ALREADY))
            continue
        if used >= product.seats:
            results.append(Imported(Taken.FULL, used=used))
            continue
        try:
            may_hold(people(agent.user_id))
        except InvalidInput as refusal:
            results.append(Imported(Taken.REFUSED, refusal=refusal))
            continue
        _give(
            session,
            account.id or 0,
            product,
            agent.user_id,
            by=None,
            now=now,
            tell=False,
            assigned_at=agent.assigned_at,
            details={"source": "import"},
        )
        results.append(Imported(Taken.ADDED))
        touched[product.id or 0] = product
    for product_id in sorted(touched):
        settle(session, account=account, product=touched[product_id], rising=True, now=now)
    return results


def load_agents(session: Session, *, account_id: int, agents: Sequence[Agent], now: datetime) -> list[Agent]:
    """Record the seats the account file lists that are not held yet; return those added.

    The file states what already is: nobody is told, no alert is opened, and nobody
    is looked up in Slack (the owner listed them). Raises InvalidInput(seats_below_usage)
    if a product ends up with more agents than seats.
    """
    forget(session, account_id)  # the run-out forecasts read the new history
    added: list[Agent] = []
    for agent in agents:
        if _seat_of(session, agent.product, agent.user_id) is not None:
            continue
        details = {"assigned_at": agent.assigned_at.isoformat()}
        _give(
            session,
            account_id,
            agent.product,
            agent.user_id,
            by=None,
            now=now,
            tell=False,
            assigned_at=agent.assigned_at,
            details=details,
        )
        added.append(agent)
    products, used = repo.products_and_usage(session, account_id=account_id)
    for product in products:
        if used.get(product.id or 0, 0) > product.seats:
            raise InvalidInput(
                "seats_below_usage",
                field=f"products.{product.key}.seats",
                product=product.key,
                seats=product.seats,
                used=used[product.id or 0],
            )
    return added
