"""When a person is at work: their working hours, in their own Slack time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WORKING_DAYS = frozenset(range(5))
"""Monday to Friday (datetime.weekday numbering)."""


def parse_clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def next_working_time(
    now: datetime, *, tz: str, start: str, end: str, days: frozenset[int] = WORKING_DAYS
) -> datetime:
    """`now` if it is within working hours where the person is, else when they next start (UTC).

    An unknown time zone counts as UTC rather than holding a message forever.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    opens_at, closes_at = parse_clock(start), parse_clock(end)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in days:
            continue
        opens = datetime.combine(day, opens_at, tzinfo=zone)
        closes = datetime.combine(day, closes_at, tzinfo=zone)
        if offset == 0 and opens <= local < closes:
            return now
        if local < opens:
            return opens.astimezone(UTC)
    return now
