"""Slack's size limits, and the two ways seatbot respects them: shorten with an ellipsis, or split.

Nothing a person reads is ever cut silently: a shortened text ends with "…", and
the surfaces that shorten something long (a justification, a list of products)
also offer a way to read it whole.
"""

from __future__ import annotations

from collections.abc import Iterable

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
SECTION_FIELDS = 10
CONTEXT_ELEMENTS = 10
HEADER_TEXT = 150
LABEL_TEXT = 2000
BUTTON_TEXT = 75
OPTION_TEXT = 75
SELECT_OPTIONS = 100
VIEW_TITLE = 24
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
MODAL_ERROR = 2000

ELLIPSIS = "…"


def shorten(text: str, limit: int) -> str:
    """`text` if it fits, else its start and "…" within `limit` characters.

    The cut never splits a mrkdwn entity (`&amp;`) or a `<…>` token (mention, date,
    link): a broken one would show as garbage or swallow the rest of the text.
    """
    if len(text) <= limit:
        return text
    head = text[: max(limit - len(ELLIPSIS), 0)]
    opening = head.rfind("<")
    if opening > head.rfind(">"):
        head = head[:opening]
    amp = head.rfind("&")
    if amp > head.rfind(";") and len(head) - amp <= len("&amp;"):
        head = head[:amp]
    return head.rstrip() + ELLIPSIS


def chunks(lines: Iterable[str], limit: int = SECTION_TEXT, *, sep: str = "\n") -> list[str]:
    """Lines packed greedily into texts of at most `limit` characters, never splitting a
    line that fits; a longer line is split on words (or hard, for one huge word)."""
    packed: list[str] = []
    current = ""
    for line in lines:
        for piece in _pieces(line, limit):
            candidate = f"{current}{sep}{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                packed.append(current)
                current = piece
    if current:
        packed.append(current)
    return packed


def _pieces(line: str, limit: int) -> list[str]:
    """`line` cut into parts of at most `limit` characters, at spaces where possible and
    never inside a `<…>` token or an `&…;` entity."""
    pieces: list[str] = []
    rest = line
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        opening = rest.rfind("<", 0, cut)
        if opening > rest.rfind(">", 0, cut) and opening > 0:
            cut = opening
        amp = rest.rfind("&", 0, cut)
        if amp > rest.rfind(";", 0, cut) and cut - amp <= len("&amp;") and amp > 0:
            cut = amp
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" ")
    pieces.append(rest)
    return [p for p in pieces if p]
