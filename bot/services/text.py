"""Free text people type (justifications, decline reasons), made safe to store and show."""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t"}


def clean_text(text: str, *, limit: int) -> str:
    """NFC-normalised, without control or invisible formatting characters (NUL, bidi
    overrides…), trimmed, at most `limit` characters. PostgreSQL refuses NUL outright."""
    normalised = unicodedata.normalize("NFC", text)
    kept = "".join(
        ch
        for ch in normalised
        if ch in _KEEP or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    return kept.strip()[:limit]


def fold(text: str) -> str:
    """For matching names as people type them: case, accents and outer spaces ignored."""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
