"""Change seat counts: apply a change's lines to the subscription, re-checking
everything against the database as it is now (counts and usage may have moved
since the draft), then its consequences.

Each write is conditional (`WHERE seats = :from`), so two changes racing for
the same product cannot both win; any mismatch, a suite left with unequal
counts, or agents who no longer hold the seats to release raise
NoLongerApplicable and the caller's transaction rolls back whole. Once applied:
the released agents are told, alerts open or close, people waiting get the new
seats, and on sales-assisted plans the change goes to sales as an order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.domain.errors import NoLongerApplicable, Problem
from bot.services.ledger.seats import settle
from bot.services.outbox import Kind
from bot.services.recording import Event, Message, record
from storage import repositories as repo
from storage.models import Account, ChangeRequestLine, Plan, Product, SeatAssignment


@dataclass(frozen=True)
class Released:
    product_key: str
    product_name: str
    user_id: str


def apply_change(
    session: Session, *, account: Account, request_id: int, actor_id: str | None, now: datetime
) -> list[Released]:
    """Apply the lines of change `request_id` and everything that follows; the agents
    who lost their seat."""
    account_id = account.id or 0
    lines = session.exec(select(ChangeRequestLine).where(ChangeRequestLine.request_id == request_id)).all()
    products = {p.id: p for p in repo.products(session, account_id=account_id)}
    problems: list[Problem] = []
    released: list[Released] = []
    for line in lines:
        product = products[line.product_id]
        current = product.seats
        changed = repo.rowcount(
            session.execute(
                update(Product)
                .where(col(Product.id) == line.product_id, col(Product.seats) == line.from_seats)
                .values(seats=line.to_seats, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        if changed != 1:
            problems.append(
                Problem(
                    "seats_moved",
                    product.key,
                    {"product": product.name, "expected": line.from_seats, "now": current},
                )
            )
            continue
        released += _release(session, product, list(line.releases or []), line.to_seats, problems)
        changed_seats = Event(
            "seats.changed",
            "product",
            product.key,
            actor_id=actor_id,
            before={"seats": line.from_seats},
            after={"seats": line.to_seats, "request_id": request_id},
        )
        record(session, account_id=account_id, at=now, event=changed_seats)
    problems += _suite_check(session, account_id)
    if problems:
        raise NoLongerApplicable(problems, request_id=request_id)
    for item in released:
        record(
            session,
            account_id=account_id,
            at=now,
            event=Event(
                "seat.released",
                "user",
                item.user_id,
                actor_id=actor_id,
                before={"product": item.product_key},
                after={"request_id": request_id},
            ),
            messages=[
                Message(
                    Kind.SEAT_RELEASED,
                    item.user_id,
                    f"released:{request_id}:{item.product_key}:{item.user_id}",
                    request_id=request_id,
                    params={"product": item.product_name},
                )
            ],
        )
    for line in lines:
        # Fewer seats may fill a product up (tell the channel); more serve whoever waits.
        rising = line.to_seats < line.from_seats
        settle(session, account=account, product=products[line.product_id], rising=rising, now=now)
    if account.plan == Plan.SALES_ASSISTED.value and account.sales_contact:
        order = Message(Kind.ORDER, account.sales_contact, f"order:{request_id}", request_id=request_id)
        record(session, account_id=account_id, at=now, messages=[order])
    return released


def _release(
    session: Session, product: Product, user_ids: Sequence[str], to_seats: int, problems: list[Problem]
) -> list[Released]:
    """Unassign exactly `user_ids`; refuse if they no longer hold the seat or if others
    were assigned since, so that nobody unexpected loses (or keeps) a seat."""
    if user_ids:
        removed = repo.rowcount(
            session.execute(
                delete(SeatAssignment)
                .where(
                    col(SeatAssignment.product_id) == product.id, col(SeatAssignment.user_id).in_(user_ids)
                )
                .execution_options(synchronize_session=False)
            )
        )
        if removed != len(user_ids):
            problems.append(Problem("usage_moved", product.key, {"product": product.name}))
            return []
    used = repo.seats_in_use(session, product_id=product.id or 0)
    if used > to_seats:
        problems.append(Problem("usage_moved", product.key, {"product": product.name}))
        return []
    return [Released(product.key, product.name, user) for user in user_ids]


def _suite_check(session: Session, account_id: int) -> list[Problem]:
    session.expire_all()
    suites: dict[str, set[int]] = {}
    for product in repo.products(session, account_id=account_id):
        if product.suite:
            suites.setdefault(product.suite, set()).add(product.seats)
    return [
        Problem("suite_mismatch", None, {"suite": suite})
        for suite, counts in suites.items()
        if len(counts) > 1
    ]
