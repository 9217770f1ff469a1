"""The run-out estimator on made-up histories: it speaks only when it honestly can."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.forecast import HORIZON_DAYS, RunOut, SeatChange, run_out

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=365)


def steady(per_day: float, *, days: int = 28) -> list[SeatChange]:
    """A seat taken every 1/per_day days over the last `days` days."""
    start = NOW - timedelta(days=days)
    return [SeatChange(start + timedelta(days=(i + 0.5) / per_day), +1) for i in range(int(per_day * days))]


def estimate(seats: int, used: int, changes: list[SeatChange], since: datetime = LONG_AGO) -> RunOut | None:
    return run_out(seats=seats, used=used, changes=changes, now=NOW, known_since=since)


def test_a_steady_pace_gives_the_days_left() -> None:
    # A seat a day for four weeks: 38 in use of 50, 12 free -> full in about 12 days.
    forecast = estimate(50, 38, steady(1))
    assert forecast is not None
    assert 11 <= forecast.days <= 13
    assert 6.5 <= forecast.per_week <= 7.5


def test_a_faster_pace_runs_out_sooner() -> None:
    slow = estimate(100, 40, steady(1))
    fast = estimate(100, 40, steady(2))
    assert slow is not None
    assert fast is not None
    assert fast.days < slow.days


def test_seats_given_back_slow_the_pace() -> None:
    taken = steady(1)
    given_back = [SeatChange(c.at + timedelta(hours=12), -1) for c in taken[::2]]
    gross = estimate(40, 28, taken)
    netted = estimate(40, 14, taken + given_back)
    assert netted is not None
    assert gross is not None
    assert netted.days > gross.days
    assert netted.per_week < gross.per_week


def test_changes_before_the_window_are_ignored() -> None:
    old = [SeatChange(NOW - timedelta(days=60 + d), +1) for d in range(20)]
    assert estimate(50, 38, steady(1) + old) == estimate(50, 38, steady(1))


def test_less_than_two_weeks_of_history_says_nothing() -> None:
    changes = steady(2, days=10)
    assert estimate(40, 20, changes, since=NOW - timedelta(days=10)) is None
    # The same seats with a longer known history: now it can speak.
    assert estimate(40, 20, changes) is not None


def test_one_bulk_import_is_not_a_pace() -> None:
    bulk = [SeatChange(NOW - timedelta(days=3), +1) for _ in range(30)]
    bulk += [SeatChange(NOW - timedelta(days=d), +1) for d in (20, 12)]
    assert estimate(40, 32, bulk) is None


def test_changes_on_too_few_days_say_nothing() -> None:
    few = [SeatChange(NOW - timedelta(days=d), +1) for d in (20, 20, 5, 5)]
    assert estimate(40, 10, few) is None


def test_a_shrinking_or_flat_product_says_nothing() -> None:
    shrinking = [SeatChange(NOW - timedelta(days=d), -1) for d in range(1, 25)]
    assert estimate(40, 10, shrinking) is None
    assert estimate(40, 10, []) is None


def test_beyond_the_horizon_says_nothing() -> None:
    weekly = steady(1 / 7)  # a seat a week
    assert estimate(1_000, 10, weekly) is None
    near = estimate(20, 10, weekly)
    assert near is not None
    assert near.days <= HORIZON_DAYS


def test_a_full_product_has_no_forecast() -> None:
    assert estimate(28, 28, steady(1)) is None


def test_at_least_one_day() -> None:
    forecast = estimate(141, 140, steady(5))
    assert forecast is not None
    assert forecast.days == 1
