"""`/seats` sub-commands, parsed leniently into typed commands (SPEC section 2)."""

from __future__ import annotations

import re
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


@dataclass(frozen=True)
class Amount:
    """`+5` (add), `-2` (remove) or `12` (set to)."""

    relative: bool
    value: int

    def apply_to(self, seats: int) -> int:
        return seats + self.value if self.relative else self.value


@dataclass(frozen=True)
class OpenChange:
    """`/seats request [product] [±N|N]` and `/seats manage`: open the change modal."""

    product: str | None = None
    amount: Amount | None = None
    bad_amount: str | None = None
    """Text where a number was expected (reported instead of opening the modal)."""


@dataclass(frozen=True)
class ListRequests:
    pass


@dataclass(frozen=True)
class Withdraw:
    pass


@dataclass(frozen=True)
class Assign:
    """`/seats assign @user product` (`unassign` when `remove`)."""

    user: str | None
    """A user id from a mention, or a name to look up (without the @)."""
    user_is_id: bool
    product: str | None
    remove: bool = False


@dataclass(frozen=True)
class Reclaim:
    """`/seats reclaim [product]`: the seats that could be freed before buying more."""

    product: str | None = None


SeatsCommand = ShowSummary | ShowHelp | OpenChange | ListRequests | Withdraw | Assign | Reclaim

_SIMPLE: dict[str, SeatsCommand] = {
    "": ShowSummary(),
    "summary": ShowSummary(),
    "status": ShowSummary(),
    "résumé": ShowSummary(),
    "help": ShowHelp(),
    "aide": ShowHelp(),
    "?": ShowHelp(),
    "manage": OpenChange(),
    "gérer": OpenChange(),
    "requests": ListRequests(),
    "demandes": ListRequests(),
    "withdraw": Withdraw(),
    "retirer": Withdraw(),
}
_REQUEST = {"request", "demander", "demande"}
_AMOUNT = re.compile(r"^([+-]?)(\d{1,9})$")
_ASSIGN = {"assign": False, "attribuer": False, "unassign": True, "désattribuer": True}
_RECLAIM = {"reclaim", "récupérer", "recuperer", "libérer", "liberer"}
_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,30})(?:\|[^>]*)?>$")


def parse(text: str) -> SeatsCommand:
    """Case, accents' composition and extra spaces do not matter; unknown input asks for help."""
    cleaned = unicodedata.normalize("NFC", text or "").strip()
    if len(cleaned) > MAX_COMMAND_TEXT:
        return ShowHelp(unknown=cleaned[:MAX_COMMAND_TEXT] + "…")
    words = cleaned.split()
    verb = words[0].lower() if words else ""
    if verb in _REQUEST:
        return _request(words[1:])
    if verb in _ASSIGN:
        return _assign(words[1:], remove=_ASSIGN[verb])
    if verb in _RECLAIM:
        return Reclaim(product=" ".join(words[1:]) or None)
    command = _SIMPLE.get(verb)
    if command is None or len(words) > 1:
        return ShowHelp(unknown=cleaned)
    return command


def _request(words: list[str]) -> OpenChange:
    product: str | None = None
    amount: Amount | None = None
    for word in words:
        normalised = unicodedata.normalize("NFKC", word)
        match = _AMOUNT.match(normalised)
        if match and amount is None:
            amount = Amount(relative=bool(match[1]), value=int(match[2]) * (-1 if match[1] == "-" else 1))
        elif product is None and not normalised.lstrip("+-").isdigit() and amount is None:
            product = word
        else:
            return OpenChange(product=product, bad_amount=word[:40])
    return OpenChange(product=product, amount=amount)


def _assign(words: list[str], *, remove: bool) -> Assign:
    """The person is a mention (`<@U123|ana>`) or an @name; the rest names the product."""
    user: str | None = None
    is_id = False
    rest: list[str] = []
    for word in words:
        mention = _MENTION.match(word)
        if user is None and mention:
            user, is_id = mention[1], True
        elif user is None and word.startswith("@") and len(word) > 1:
            user = word[1:]
        else:
            rest.append(word)
    if user is None and len(rest) >= 2:
        user, rest = rest[0], rest[1:]  # `assign ana support`
    return Assign(user=user, user_is_id=is_id, product=" ".join(rest) or None, remove=remove)
