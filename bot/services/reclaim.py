"""Seats that could be freed before buying more: held by people Slack has deactivated,
or by agents inactive for longer than the account's `idle_after` (where a usage
export said when they were last active).

Who is deactivated is Slack's to say: the caller passes it in (`deactivated`),
the database knows the rest. One query for the whole account.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from bot.domain.permissions import Action
from bot.services.actors import load_actor, require
from bot.services.assignments import product_named
from storage import repositories as repo
from storage.models import Account, Product, SeatAssignment

SHOWN = 20
"""At most this many seats listed with their buttons (the rest are counted)."""


@dataclass(frozen=True)
class Freeable:
    user_id: str
    product_key: str
    product_name: str
    deactivated: bool
    idle_days: int | None
    """Days since they were last active, for an idle agent."""


@dataclass(frozen=True)
class Freeables:
    product: str | None
    """The product asked about (its name), or None for every product."""
    seats: list[Freeable]
    more: int
    """Seats beyond the ones listed."""
    idle_days: int
    """The account's idle threshold, in days."""


def freeable_seats(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    deactivated: frozenset[str],
    now: datetime,
    product_text: str | None = None,
) -> Freeables:
    """What `/seats reclaim [product]` lists: deactivated holders first, then the longest idle."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.ASSIGN_SEATS)
    account = actor.account
    if product_text:
        products = [product_named(session, account_id=actor.account_id, text=product_text)]
    else:
        products = repo.products(session, account_id=actor.account_id)
    found = _freeable(session, account, products, deactivated, now)
    found.sort(key=lambda f: (not f.deactivated, -(f.idle_days or 0), f.product_key, f.user_id))
    return Freeables(
        products[0].name if product_text else None,
        found[:SHOWN],
        max(0, len(found) - SHOWN),
        account.idle_after_s // 86400,
    )


def freeable_counts(
    session: Session, *, account: Account, products: list[Product], deactivated: frozenset[str], now: datetime
) -> dict[str, int]:
    """How many seats of each product (by key) could be freed first."""
    return dict(Counter(f.product_key for f in _freeable(session, account, products, deactivated, now)))


def _freeable(
    session: Session, account: Account, products: list[Product], deactivated: frozenset[str], now: datetime
) -> list[Freeable]:
    if not products:
        return []
    idle_before = now - timedelta(seconds=account.idle_after_s)
    by_id = {p.id: p for p in products}
    query = select(SeatAssignment).where(
        col(SeatAssignment.product_id).in_(list(by_id)),
        or_(
            col(SeatAssignment.user_id).in_(sorted(deactivated)),
            col(SeatAssignment.last_active_at) < idle_before,
        ),
    )
    found = []
    for seat in session.exec(query):
        product = by_id[seat.product_id]
        gone = seat.user_id in deactivated
        idle = None if gone or seat.last_active_at is None else (now - seat.last_active_at).days
        found.append(Freeable(seat.user_id, product.key, product.name, gone, idle))
    return found
