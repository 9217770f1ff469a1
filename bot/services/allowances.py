"""Standing allowances: what a product's requests get each month without an approver.

The owner gives a product an allowance ("+5 seats a month, at most €600/month
more", in the account file or App Home's settings). A request whose every line
adds seats to a product with an allowance, within what is left of it this month
(in the account's time zone), is approved and applied at once; anything beyond
goes through the normal approval.

What an allowance has given is one `allowance_use` row per product and month,
taken by a conditional UPDATE (`seats + n <= allowance`): of two requests racing
for the last of it, the database lets exactly one through. A request with
several lines takes from each in one savepoint, all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from bot.services.drafts import LinePreview
from storage.models import Account, AllowanceUse, Plan, Product


@dataclass(frozen=True)
class Taken:
    """What one line took from its product's allowance, and what is left this month."""

    key: str
    name: str
    seats: int
    cost: Decimal
    seats_left: int
    cost_left: Decimal | None


def month_of(now: datetime, timezone: str) -> str:
    """The account's month at `now`, as `allowance_use` keys it."""
    return now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")


def take(
    session: Session,
    *,
    account: Account,
    products: Sequence[Product],
    lines: Sequence[LinePreview],
    now: datetime,
) -> list[Taken] | None:
    """Take what `lines` need from their products' allowances, all or nothing; None when
    the change is not within them (a reduction, a product without one, too much, or a
    sales-assisted plan, where an order goes through the sales contact)."""
    wanted = _wanted(account, products, lines)
    if wanted is None:
        return None
    month = month_of(now, account.timezone)
    taken: list[Taken] = []
    try:
        with session.begin_nested():  # a line that does not fit gives back what the others took
            for product, line in wanted:
                taken.append(_take_one(session, product, line, month))
    except _NotWithin:
        return None
    return taken


def may_cover(account: Account, products: Sequence[Product], lines: Sequence[LinePreview]) -> bool:
    """Whether `lines` could be within their products' allowances at all, before anything is
    read or taken: every line adds seats to a product that has one, on a self-service plan."""
    return _wanted(account, products, lines) is not None


def _wanted(
    account: Account, products: Sequence[Product], lines: Sequence[LinePreview]
) -> list[tuple[Product, LinePreview]] | None:
    """Each line with its product, or None when the change cannot be within allowances."""
    if account.plan != Plan.SELF_SERVICE.value or not lines:
        return None
    by_key = {p.key: p for p in products}
    wanted: list[tuple[Product, LinePreview]] = []
    for line in lines:
        product = by_key.get(line.key)
        if product is None or product.allowance_seats is None or line.delta <= 0:
            return None
        wanted.append((product, line))
    return wanted


class _NotWithin(Exception):
    pass


def _take_one(session: Session, product: Product, line: LinePreview, month: str) -> Taken:
    assert product.id is not None
    assert product.allowance_seats is not None
    _ensure_month(session, product.id, month)
    cost = line.cost_delta or Decimal(0)
    use = AllowanceUse.__table__.c  # type: ignore[attr-defined]
    fits = [use.seats + line.delta <= product.allowance_seats]
    if product.allowance_cost is not None:
        fits.append(use.cost + cost <= product.allowance_cost)
    statement = (
        update(AllowanceUse)
        .where(col(AllowanceUse.product_id) == product.id, col(AllowanceUse.month) == month, *fits)
        .values(seats=use.seats + line.delta, cost=use.cost + cost)
        .returning(use.seats, use.cost)
    )
    row = session.execute(statement).first()
    if row is None:
        raise _NotWithin()
    seats, spent = int(row[0]), Decimal(row[1])
    cost_left = None if product.allowance_cost is None else product.allowance_cost - spent
    return Taken(line.key, line.name, line.delta, cost, product.allowance_seats - seats, cost_left)


def _ensure_month(session: Session, product_id: int, month: str) -> None:
    """The month's row, created at zero by whichever request comes first (a concurrent
    one waits on the unique key, then finds it there)."""
    dialect = session.get_bind().dialect.name
    values = {"product_id": product_id, "month": month, "seats": 0, "cost": Decimal(0)}
    if dialect == "postgresql":
        session.execute(postgresql_insert(AllowanceUse).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite_insert(AllowanceUse).values(values).on_conflict_do_nothing())
    else:  # pragma: no cover - seatbot runs on the two above
        session.execute(insert(AllowanceUse).values(values))
