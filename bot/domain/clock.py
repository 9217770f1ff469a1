"""The real clock, read at the edge only and passed down as `now` (STYLE, practice 6).

A module of its own, importing nothing of seatbot, so that everything from the
sender to the command line can read it without importing the app's wiring.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The real clock; read at the edge only and passed down as `now`."""
    return datetime.now(UTC)
