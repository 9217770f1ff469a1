"""Who holds a seat, from Slack and the command line: assign, unassign, bulk import and export.

The seat itself (its lock, the waiting line, the alerts, who may hold one)
is the ledger's; these use cases check who asks and say what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import overload

from sqlmodel import Session, col, select

from bot.domain.account_file import USER_ID
from bot.domain.errors import InvalidInput
from bot.domain.permissions import APPROVERS, Action
from bot.services import ledger
from bot.services.actors import load_actor, require
from bot.services.offers import WAITING, BuyOffer
from bot.services.products import find_product
from storage import repositories as repo
from storage.models import Account, Product, SeatAssignment


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    WAITING = "waiting"
    """No free seat: queued, and the person is offered to buy or request more."""
    UNASSIGNED = "unassigned"
    WAITING_CANCELLED = "waiting_cancelled"


@dataclass(frozen=True)
class Assignment:
    outcome: Outcome
    product: Product
    used: int
    waiting: int
    """People waiting for a seat of this product, this one included."""
    can_buy: bool
    """The actor may add seats at once (owner, billing admin); otherwise they request them."""
    currency: str
    offer: BuyOffer | None = None
    """Waiting, and the actor may buy: the one-click offer to show them."""


def product_named(session: Session, *, account_id: int, text: str) -> Product:
    return find_product(repo.products(session, account_id=account_id), text)


def assign(
    session: Session, *, team_id: str, user_id: str, target: ledger.Person, product_text: str, now: datetime
) -> Assignment:
    """Give `target` a seat, or a place in line with a one-click offer to buy more."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.ASSIGN_SEATS)
    product = product_named(session, account_id=actor.account_id, text=product_text)
    placed = ledger.assign(
        session, account=actor.account, product=product, person=target, by=user_id, now=now
    )
    can_buy = actor.role in APPROVERS
    currency = actor.account.currency
    if placed.seated:
        return Assignment(Outcome.ASSIGNED, product, placed.used, len(placed.queue), can_buy, currency)
    offer = None
    if can_buy:
        entry = next(w for w in placed.queue if w.user_id == target.user_id)
        offer = BuyOffer(product.key, product.seats, max(len(placed.queue), 1), f"{WAITING}{entry.id}")
    return Assignment(Outcome.WAITING, product, placed.used, len(placed.queue), can_buy, currency, offer)


def unassign(
    session: Session, *, team_id: str, user_id: str, target: ledger.Person, product_text: str, now: datetime
) -> Assignment:
    """Free `target`'s seat (the next in line gets it), or take them out of the line."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.ASSIGN_SEATS)
    product = product_named(session, account_id=actor.account_id, text=product_text)
    freed = ledger.unassign(
        session, account=actor.account, product=product, person=target, by=user_id, now=now
    )
    return Assignment(
        Outcome.UNASSIGNED if freed else Outcome.WAITING_CANCELLED,
        product,
        repo.seats_in_use(session, product_id=product.id or 0),
        len(ledger.waiting_users(session, product_id=product.id or 0)),
        actor.role in APPROVERS,
        actor.account.currency,
    )


@dataclass(frozen=True)
class ImportReport:
    added: int
    already: int
    refused: list[str]
    """One line per row not taken, saying where and why."""


WHY_NOT = {
    "is_bot": "is a bot (bots don't take seats)",
    "deactivated": "is deactivated in Slack (deactivated people don't take seats)",
}
"""What the import says of a row `ledger.may_hold` refused, by its code."""


def import_rows(
    session: Session,
    *,
    account: Account,
    rows: list[tuple[int, dict[str, str]]],
    now: datetime,
    people: Callable[[str], ledger.Person] = ledger.Person,
) -> ImportReport:
    """Add the agents of a usage export (user, product, assigned_at); rows already there are skipped.

    `people` says who a user id is (a bot? deactivated?); by default nothing is known
    against anyone.
    """
    assert account.id is not None
    refused: dict[int, str] = {}
    lines: list[int] = []
    agents: list[ledger.Agent] = []
    active: dict[int, datetime | None] = {}  # the optional last_active column, by line
    for line, row in rows:
        user = (row.get("user") or "").strip()
        product_text = (row.get("product") or "").strip()
        if not USER_ID.match(user):
            refused[line] = f"line {line}: {user[:40]!r} is not a Slack user id"
            continue
        try:
            product = product_named(session, account_id=account.id, text=product_text)
            assigned_at = _parse_time(row.get("assigned_at"), now)
            last_active = _parse_time(row.get("last_active"), None)
        except (InvalidInput, ValueError) as exc:
            refused[line] = f"line {line}: {_why(exc, product_text)}"
            continue
        active[line] = last_active
        lines.append(line)
        agents.append(ledger.Agent(user, product, assigned_at))
    results = ledger.import_agents(session, account=account, agents=agents, people=people, now=now)
    activity = [
        (agent.product.id or 0, agent.user_id, at)
        for line, agent in zip(lines, agents, strict=True)
        if (at := active[line]) is not None
    ]
    repo.record_activity(session, account_id=account.id, seen=activity)
    added = already = 0
    for line, agent, result in zip(lines, agents, results, strict=True):
        product = agent.product
        match result.taken:
            case ledger.Taken.ADDED:
                added += 1
            case ledger.Taken.ALREADY:
                already += 1
            case ledger.Taken.FULL:
                refused[line] = (
                    f"line {line}: {agent.user_id}: no free {product.name} seat "
                    f"({result.used} of {product.seats} in use)"
                )
            case ledger.Taken.REFUSED:
                code = result.refusal.code if result.refusal else ""
                refused[line] = f"line {line}: {agent.user_id} {WHY_NOT.get(code, code)}"
    return ImportReport(added, already, [refused[line] for line in sorted(refused)])


def _why(exc: Exception, product_text: str) -> str:
    if isinstance(exc, InvalidInput):
        return f"unknown product {product_text[:40]!r}"
    return str(exc)


@overload
def _parse_time(text: str | None, default: datetime) -> datetime: ...
@overload
def _parse_time(text: str | None, default: None) -> datetime | None: ...
def _parse_time(text: str | None, default: datetime | None) -> datetime | None:
    if not text or not text.strip():
        return default
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text.strip()[:40]!r} is not a date and time, e.g. 2026-01-05T09:00:00Z") from None
    if value.tzinfo is None:
        raise ValueError(f"{text.strip()!r}: give a time zone, e.g. 2026-01-05T09:00:00Z")
    return value


def export_rows(session: Session, *, account_id: int) -> list[dict[str, str]]:
    rows = session.exec(
        select(SeatAssignment, Product.key)
        .where(SeatAssignment.account_id == account_id, SeatAssignment.product_id == Product.id)
        .order_by(col(Product.position), col(SeatAssignment.assigned_at), col(SeatAssignment.id))
    ).all()
    return [
        {
            "user": a.user_id,
            "product": key,
            "assigned_at": a.assigned_at.isoformat().replace("+00:00", "Z"),
            "assigned_by": a.assigned_by or "",
            "last_active": a.last_active_at.isoformat().replace("+00:00", "Z") if a.last_active_at else "",
        }
        for a, key in rows
    ]
