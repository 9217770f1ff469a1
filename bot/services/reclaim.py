"""Seats that could be freed before buying more: held by people Slack has deactivated,
or by agents inactive for longer than the account's `idle_after` (where a usage
export said when they were last active).

Who is deactivated is Slack's to say. Slack tells seatbot as it happens (a
`user_change` event, `holder_deactivated`), and `/seats reclaim` passes in the
directory it has just read, which is recorded first (`note_deactivated`): seats
of people who left before seatbot was installed, or whose event was lost, are
then known to every approval card and alert too, which read only the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

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
    deactivated: frozenset[str] | None,
    now: datetime,
    product_text: str | None = None,
) -> Freeables:
    """What `/seats reclaim [product]` lists: deactivated holders first, then the longest idle.

    `deactivated` is everyone Slack's directory says is deactivated, recorded first
    (None: the directory could not be read, and what was recorded stands)."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.ASSIGN_SEATS)
    account = actor.account
    if product_text:
        products = [product_named(session, account_id=actor.account_id, text=product_text)]
    else:
        products = repo.products(session, account_id=actor.account_id)
    if deactivated is not None:
        note_deactivated(session, account_id=actor.account_id, deactivated=deactivated, now=now)
    found = _freeable(session, account, products, now)
    found.sort(key=lambda f: (not f.deactivated, -(f.idle_days or 0), f.product_key, f.user_id))
    return Freeables(
        products[0].name if product_text else None,
        found[:SHOWN],
        max(0, len(found) - SHOWN),
        account.idle_after_s // 86400,
    )


def note_deactivated(
    session: Session, *, account_id: int, deactivated: frozenset[str], now: datetime
) -> None:
    """Record Slack's whole directory: seats of people in `deactivated` are marked from
    `now` (kept if already marked), anyone else's are not (reactivated since)."""
    seats = col(SeatAssignment.deactivated_at)
    holders = col(SeatAssignment.user_id)
    of_account = col(SeatAssignment.account_id) == account_id
    gone = sorted(deactivated)
    session.execute(
        update(SeatAssignment)
        .where(of_account, holders.in_(gone), seats.is_(None))
        .values(deactivated_at=now)
    )
    session.execute(
        update(SeatAssignment)
        .where(of_account, holders.not_in(gone), seats.is_not(None))
        .values(deactivated_at=None)
    )


def holder_deactivated(
    session: Session, *, team_id: str, user_id: str, deactivated: bool, now: datetime
) -> int:
    """Slack says `user_id` of this workspace was deactivated (or reactivated): their seats
    are marked (or no longer). Returns how many seats changed; 0 for a workspace seatbot
    has no account in, or someone holding no seat."""
    account = repo.account_by_team(session, team_id=team_id)
    if account is None:
        return 0
    seats = col(SeatAssignment.deactivated_at)
    changed = update(SeatAssignment).where(
        col(SeatAssignment.account_id) == account.id,
        col(SeatAssignment.user_id) == user_id,
        seats.is_(None) if deactivated else seats.is_not(None),
    )
    result = session.execute(changed.values(deactivated_at=now if deactivated else None))
    return repo.rowcount(result)


def _freeable(session: Session, account: Account, products: list[Product], now: datetime) -> list[Freeable]:
    if not products:
        return []
    idle_before = now - timedelta(seconds=account.idle_after_s)
    by_id = {p.id: p for p in products}
    query = select(SeatAssignment).where(
        col(SeatAssignment.product_id).in_(list(by_id)), repo.to_free(idle_before)
    )
    found = []
    for seat in session.exec(query):
        product = by_id[seat.product_id]
        gone = seat.deactivated_at is not None
        idle = None if gone or seat.last_active_at is None else (now - seat.last_active_at).days
        found.append(Freeable(seat.user_id, product.key, product.name, gone, idle))
    return found
