"""The one-click "Buy N more seats" offer, as shown on a button.

An offer is what a person saw: which product, at which seat count, how many
more, and where it was shown (the place in the waiting line, or the channel
alert). Every replay of a click on it, and every second click on the same
button, names the same offer, so its `key` is what the database takes once.
"""

from __future__ import annotations

from dataclasses import dataclass

WAITING = "w"
"""Shown on the answer to an assignment that had to wait: origin `w<pending_assignment id>`."""
ALERT = "a"
"""Shown on the channel's out-of-licences alert: origin `a<seat_alert id>`."""


@dataclass(frozen=True)
class BuyOffer:
    product_key: str
    from_seats: int
    """The seat count the offer was made at: a click after the count moved buys nothing."""
    count: int
    origin: str
    """Where the offer was shown: `w<id>` or `a<id>`."""

    @property
    def key(self) -> str:
        """The direct change's idempotency key: one purchase per offer, enforced by a unique index."""
        return f"buy:{self.product_key}:{self.from_seats}:{self.origin}"

    @property
    def origin_kind(self) -> str:
        return self.origin[:1]

    @property
    def origin_id(self) -> int:
        digits = self.origin[1:]
        return int(digits) if digits.isdigit() and len(digits) < 10 else 0
