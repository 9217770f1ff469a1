"""Durations as written in account files: `30s`, `15m`, `24h`, `14d`."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta:
    """Parse `<number><unit>`; raise ValueError with the accepted forms otherwise."""
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration: write e.g. 30s, 15m, 24h or 14d")
    seconds = int(match[1]) * _UNITS[match[2]]
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    return timedelta(seconds=seconds)


def format_duration(seconds: int) -> str:
    """The shortest exact spelling, so a loaded file round-trips."""
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
