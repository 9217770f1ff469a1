"""The seat ledger: the one place seat counts and seat assignments change.

Every use case that changes seats goes through it: decisions (approve, then
apply), direct changes, Buy, assign / unassign, the CSV import and the account
file load. So each rule, and each consequence of a change, is written once:

* `seats`: who holds a seat; bots and deactivated people hold none; the
  licence count is never exceeded; the waiting line gets the next free seat.
* `counts`: a change of seat counts, re-checked against the database (the
  suite rule, the agents it releases), then told to sales as an order on
  sales-assisted plans.
* `alerts`: out-of-licences episodes, opened when a product fills up and
  closed when a seat frees up, after every change of seats or usage.

Modules below the ledger (`bot.services.recording`, `storage`) never call
back into it; use cases call it and never each other's internals.
"""

from __future__ import annotations

from bot.services.ledger.alerts import AlertView, alert_view, level_of
from bot.services.ledger.counts import Released, apply_change
from bot.services.ledger.seats import (
    Agent,
    Imported,
    Person,
    Placed,
    Taken,
    assign,
    import_agents,
    load_agents,
    may_hold,
    unassign,
    waiting_users,
)

__all__ = [
    "Agent",
    "AlertView",
    "Imported",
    "Person",
    "Placed",
    "Released",
    "Taken",
    "alert_view",
    "apply_change",
    "assign",
    "import_agents",
    "level_of",
    "load_agents",
    "may_hold",
    "unassign",
    "waiting_users",
]
