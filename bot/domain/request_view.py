"""What a change request looks like to the people who read it: its lines, its cost,
who decided it. Built by `bot.services.request_views`, shown by `bot.messages`, and
carried by domain errors that name a request (one already pending)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from storage.models import AlertLevel, RequestStatus


class ChangeLine(Protocol):
    """What a message needs to show one product's change (request lines and live previews alike)."""

    @property
    def name(self) -> str: ...
    @property
    def before(self) -> int: ...
    @property
    def after(self) -> int: ...
    @property
    def delta(self) -> int: ...


@dataclass(frozen=True)
class LineView:
    name: str
    before: int
    after: int
    price_per_seat: Decimal | None
    releases: tuple[str, ...]
    """Exactly the agents the ledger unassigns when the change is applied (most recent first)."""
    key: str = ""
    suite: str | None = None
    now: Usage | None = None
    """The product as it is now: known while the request waits for a decision."""

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def used(self) -> int | None:
        return None if self.now is None else self.now.used

    @property
    def used_after(self) -> int | None:
        """Seats in use once applied: the agents listed lose theirs."""
        return None if self.now is None else self.now.used - len(self.releases)


@dataclass(frozen=True)
class Usage:
    """A product's seats and seats in use at the time a message is drawn."""

    seats: int
    used: int
    level: AlertLevel | None
    """Full, or past the account's early-warning threshold (None: neither)."""
    to_free: int = 0
    """Seats held by people deactivated in Slack, or by agents inactive longer than the
    account's idle threshold: to free before buying more."""

    @property
    def pct(self) -> int:
        return self.used * 100 // max(self.seats, 1)


@dataclass(frozen=True)
class Totals:
    """The account's monthly total (priced products) before and after a pending change."""

    before: Decimal
    after: Decimal


@dataclass(frozen=True)
class RequestView:
    id: int
    requester_id: str
    status: RequestStatus
    direct: bool
    justification: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decline_reason: str | None
    currency: str
    lines: tuple[LineView, ...]
    totals: Totals | None = None
    suites: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each suite the change touches, with every product of it (they move together)."""
    version: int = 1
    """Raised by each amendment of its requester (a decision names the version it was taken on)."""

    @property
    def cost_delta(self) -> Decimal | None:
        costs = [line.price_per_seat * line.delta for line in self.lines if line.price_per_seat is not None]
        return sum(costs, Decimal(0)) if costs else None

    @property
    def releases(self) -> tuple[str, ...]:
        return tuple(user for line in self.lines for user in line.releases)
