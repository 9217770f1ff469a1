"""`/seats` sub-commands, parsed leniently into typed commands (SPEC section 2)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_COMMAND_TEXT = 500
"""Slack caps command text far higher; anything longer than this is not a command."""


@dataclass(frozen=True)
class ShowSummary:
    pass


@dataclass(frozen=True)
class ShowHelp:
    unknown: str | None = None
    """What the person typed that we did not understand, if anything."""


SeatsCommand = ShowSummary | ShowHelp

_ALIASES: dict[str, SeatsCommand] = {
    "": ShowSummary(),
    "summary": ShowSummary(),
    "status": ShowSummary(),
    "résumé": ShowSummary(),
    "help": ShowHelp(),
    "aide": ShowHelp(),
    "?": ShowHelp(),
}


def parse(text: str) -> SeatsCommand:
    """Case, accents' composition and extra spaces do not matter; unknown input asks for help."""
    cleaned = unicodedata.normalize("NFC", text or "").strip()
    if len(cleaned) > MAX_COMMAND_TEXT:
        return ShowHelp(unknown=cleaned[:MAX_COMMAND_TEXT] + "…")
    words = cleaned.split()
    verb = words[0].lower() if words else ""
    command = _ALIASES.get(verb)
    if command is None or len(words) > 1:
        return ShowHelp(unknown=cleaned)
    return command
