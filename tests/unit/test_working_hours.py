"""Working hours in each person's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.working_hours import next_working_time


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (_utc(2026, 11, 23, 10, 0), "Europe/Paris", _utc(2026, 11, 23, 10, 0)),  # Monday 11:00 Paris: now
        (_utc(2026, 11, 23, 17, 30), "Europe/Paris", _utc(2026, 11, 24, 8, 0)),  # 18:30 Paris: Tuesday 09:00
        (_utc(2026, 11, 23, 6, 0), "Europe/Paris", _utc(2026, 11, 23, 8, 0)),  # 07:00: later that morning
        (_utc(2026, 11, 27, 19, 0), "Europe/Paris", _utc(2026, 11, 30, 8, 0)),  # Friday evening: Monday
        (_utc(2026, 11, 28, 12, 0), "Europe/Paris", _utc(2026, 11, 30, 8, 0)),  # Saturday: Monday
        (_utc(2026, 11, 23, 12, 0), "America/New_York", _utc(2026, 11, 23, 14, 0)),  # 07:00 in New York
        (_utc(2026, 11, 23, 12, 0), "Not/AZone", _utc(2026, 11, 23, 12, 0)),  # unknown zone: UTC hours
    ],
)
def test_next_working_time(now: datetime, tz: str, expected: datetime) -> None:
    assert next_working_time(now, tz=tz, start="09:00", end="18:00") == expected
