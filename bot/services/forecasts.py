"""Run-out forecasts of an account's products, from their recent seat history.

The history is what seatbot already keeps: when each current holder took their
seat (`seat_assignment.assigned_at`, imported dates included) and the seats
given back (`seat.unassigned` and `seat.released` in the audit log). Only the
last weeks are read (`bot.domain.forecast.WINDOW`), two queries for the whole
account, so a forecast costs the same for ten agents or ten thousand.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, event
from sqlmodel import Session, col, select

from bot.domain.forecast import MIN_HISTORY, WINDOW, RunOut, SeatChange, run_out
from storage.models import AuditEvent, SeatAssignment

GIVEN_BACK = ("seat.unassigned", "seat.released")


class Known(Protocol):
    """An account as a forecast needs it (its row, or the plain values a summary reads)."""

    @property
    def id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime: ...


class Stocked(Protocol):
    """A product as a forecast needs it."""

    @property
    def id(self) -> int | None: ...
    @property
    def key(self) -> str: ...
    @property
    def seats(self) -> int: ...


def run_outs(
    session: Session,
    *,
    account: Known,
    products: Sequence[Stocked],
    used: dict[int, int],
    now: datetime,
) -> dict[int, RunOut]:
    """The forecast of each product that has one, by product id."""
    if now - account.created_at < MIN_HISTORY or not any(p.seats > used.get(p.id or 0, 0) for p in products):
        return {}  # nothing honest to say yet, or nothing left to run out of: no query
    history = _history(session, account, products, now)
    found: dict[int, RunOut] = {}
    for product in products:
        pid = product.id or 0
        asked = (pid, product.seats, used.get(pid, 0))
        if asked in history.forecasts:  # read without a lock: a miss is only work done twice
            forecast = history.forecasts[asked]
        else:
            forecast = history.forecasts[asked] = run_out(
                seats=product.seats,
                used=asked[2],
                changes=history.changes.get(pid, []),
                now=now,
                known_since=account.created_at,
            )
        if forecast is not None:
            found[pid] = forecast
    return found


@dataclass
class _History:
    """An account's seat changes over the window, read at `read_at`, and the forecasts
    made from them so far by product, seats and seats in use: a team checking its seats
    together is forecast once, as its history is read once."""

    read_at: datetime
    changes: dict[int, list[SeatChange]]
    forecasts: dict[tuple[int, int, int], RunOut | None] = field(default_factory=dict)


HISTORY_TTL = timedelta(minutes=5)
"""How long an account's seat history, and the forecasts made from it, are reused. A pace
read over four weeks moves little in five minutes, and the seats in use each forecast
starts from are always read fresh; every change of seats on this replica forgets it at
once (`forget`)."""

_cache: dict[tuple[str, int], _History] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 1024


def forget(session: Session, account_id: int) -> None:
    """Drop the account's cached history (its seats are changing), now and again once the
    change is committed: a read in between, which cannot see the change, cached the old one."""
    key = (_database(session), account_id)

    def drop(*_: object) -> None:
        with _cache_lock:
            _cache.pop(key, None)

    drop()
    event.listen(session, "after_commit", drop, once=True)


def _history(session: Session, account: Known, products: Sequence[Stocked], now: datetime) -> _History:
    key = (_database(session), account.id or 0)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and timedelta(0) <= now - cached.read_at < HISTORY_TTL:
        return cached
    history = _History(now, _read_history(session, account, products, now))
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()  # many workspaces: start afresh rather than grow without bound
        _cache[key] = history
    return history


def _database(session: Session) -> str:
    """Which database a session reads (accounts of two databases may share an id)."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return engine.url.render_as_string(hide_password=True)


def _read_history(
    session: Session, account: Known, products: Sequence[Stocked], now: datetime
) -> dict[int, list[SeatChange]]:
    """Seats taken and given back over the window, per product id: two queries."""
    since = now - WINDOW
    changes: dict[int, list[SeatChange]] = defaultdict(list)
    taken = select(SeatAssignment.product_id, SeatAssignment.assigned_at).where(
        SeatAssignment.account_id == account.id, col(SeatAssignment.assigned_at) > since
    )
    for product_id, at in session.exec(taken):
        changes[product_id].append(SeatChange(at, +1))
    by_key = {p.key: p.id or 0 for p in products}
    returned = select(AuditEvent.at, AuditEvent.before).where(
        AuditEvent.account_id == account.id,
        col(AuditEvent.action).in_(GIVEN_BACK),
        col(AuditEvent.at) > since,
    )
    for at, before in session.exec(returned):
        returned_of = by_key.get(str((before or {}).get("product")))
        if returned_of is None:
            continue
        changes[returned_of].append(SeatChange(at, -1))
        held_since = _moment((before or {}).get("assigned_at"))
        if held_since is not None and held_since > since:  # taken and given back within the window
            changes[returned_of].append(SeatChange(held_since, +1))
    return dict(changes)


def _moment(value: object) -> datetime | None:
    """A timestamp the audit log kept as ISO text (UTC when it says nothing)."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
