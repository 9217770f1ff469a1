"""When a product runs out of seats, at the pace its seats have been filling.

The estimate is a least-squares line through the product's seats in use at
the end of each day of the last four weeks, rebuilt from when each seat was
taken and given back. It says nothing rather than something dishonest: with
under two weeks of history, with changes on fewer than three days, when the
seats are not filling, when the line explains the history poorly (a single
bulk import is not a pace), or when the product would last beyond the horizon.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

WINDOW = timedelta(days=28)
"""How far back the pace is read."""
MIN_HISTORY = timedelta(days=14)
"""Less history than this says nothing about a pace."""
MIN_CHANGE_DAYS = 3
"""Seats taken or given back on at least this many different days."""
MIN_FIT = 0.6
"""Share of the day-to-day variation the line must explain (R²)."""
HORIZON_DAYS = 120
"""Beyond this, "at this pace" means nothing useful."""


@dataclass(frozen=True)
class SeatChange:
    """A seat of the product taken (+1) or given back (-1) at a moment."""

    at: datetime
    delta: int


@dataclass(frozen=True)
class RunOut:
    days: int
    """Whole days until every seat is in use, at least 1."""
    per_week: float
    """Seats taken a week, net, at the current pace."""


def run_out(
    *, seats: int, used: int, changes: Iterable[SeatChange], now: datetime, known_since: datetime
) -> RunOut | None:
    """The estimate for a product with `seats` licences and `used` in use now, from its
    seats taken and given back over the last weeks (older ones are ignored), history being
    known from `known_since`; None when there is nothing honest to say."""
    start = max(now - WINDOW, known_since)
    if now - start < MIN_HISTORY:
        return None
    free = seats - used
    if free <= 0:
        return None  # already full: the summary says so in its own words
    recent = sorted((c for c in changes if start < c.at <= now), key=lambda c: c.at)
    if len({(c.at - start).days for c in recent}) < MIN_CHANGE_DAYS:
        return None
    days = (now - start).days
    # Walk back from today's count: seats in use at the end of each day.
    in_use = []
    later = list(reversed(recent))
    count = used
    for day in range(days, -1, -1):
        end_of_day = start + timedelta(days=day + 1)
        while later and later[0].at >= end_of_day:
            count -= later.pop(0).delta
        in_use.append((float(day), float(count)))
    slope, fit = _line(in_use)
    if slope <= 0 or fit < MIN_FIT:
        return None
    until_full = math.ceil(free / slope)
    if until_full > HORIZON_DAYS:
        return None
    return RunOut(days=max(1, until_full), per_week=round(slope * 7, 1))


def _line(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Slope and R² of the least-squares line through `points`."""
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    syy = sum((y - mean_y) ** 2 for _, y in points)
    if sxx == 0 or syy == 0:
        return 0.0, 0.0
    slope = sxy / sxx
    return slope, (sxy * sxy) / (sxx * syy)
