"""The subscription summary: per product, seats licensed, in use and free."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from bot.domain.permissions import Action
from bot.services.actors import Actor, load_actor, require
from storage import repositories as repo
from storage.models import Plan, Role


@dataclass(frozen=True)
class ProductUsage:
    key: str
    name: str
    edition: str
    seats: int
    used: int
    price_per_seat: Decimal | None
    suite: str | None

    @property
    def free(self) -> int:
        return max(self.seats - self.used, 0)

    @property
    def full(self) -> bool:
        return self.used >= self.seats

    def near_full(self, threshold_pct: int | None) -> bool:
        """At or above the early-warning threshold, but not yet full."""
        if threshold_pct is None or self.seats == 0 or self.full:
            return False
        return self.used * 100 >= threshold_pct * self.seats

    @property
    def monthly_cost(self) -> Decimal | None:
        return None if self.price_per_seat is None else self.price_per_seat * self.seats


@dataclass(frozen=True)
class Summary:
    account_name: str
    plan: Plan
    currency: str
    change_requests: bool
    viewer_role: Role
    alert_threshold_pct: int | None
    products: list[ProductUsage]

    @property
    def monthly_total(self) -> Decimal | None:
        """Sum of the priced products; None when no product has a price."""
        costs = [p.monthly_cost for p in self.products if p.monthly_cost is not None]
        return sum(costs, Decimal(0)) if costs else None


def subscription_summary(session: Session, *, team_id: str, user_id: str) -> Summary:
    return summary_for(session, load_actor(session, team_id=team_id, user_id=user_id))


def summary_for(session: Session, actor: Actor) -> Summary:
    require(session, actor, Action.SEE_SUMMARY)
    products = [
        ProductUsage(
            key=p.key,
            name=p.name,
            edition=p.edition,
            seats=p.seats,
            used=used,
            price_per_seat=p.price_per_seat,
            suite=p.suite,
        )
        for p, used in repo.products_in_use(session, account_id=actor.account_id)
    ]
    account = actor.account
    return Summary(
        account_name=account.name,
        plan=Plan(account.plan),
        currency=account.currency,
        change_requests=account.change_requests,
        viewer_role=actor.role,
        alert_threshold_pct=account.alert_threshold_pct,
        products=products,
    )
