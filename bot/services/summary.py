"""The subscription summary: per product, seats licensed, in use and free."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from bot.domain.errors import AccountNotSetUp
from bot.domain.forecast import RunOut
from bot.domain.permissions import Action, allows
from bot.services.actors import Actor, require
from bot.services.forecasts import run_outs
from storage import repositories as repo
from storage.models import Account, Plan, Role
from storage.repositories import AccountFacts, ProductFacts


@dataclass(frozen=True)
class ProductUsage:
    key: str
    name: str
    edition: str
    seats: int
    used: int
    price_per_seat: Decimal | None
    suite: str | None
    runs_out: RunOut | None = None
    """When it fills up at the current pace, if that can honestly be said."""

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
    products: tuple[ProductUsage, ...]

    @property
    def monthly_total(self) -> Decimal | None:
        """Sum of the priced products; None when no product has a price."""
        costs = [p.monthly_cost for p in self.products if p.monthly_cost is not None]
        return sum(costs, Decimal(0)) if costs else None


def subscription_summary(
    session: Session, *, team_id: str, user_id: str, now: datetime | None = None
) -> Summary:
    """The summary as `user_id` sees it; with `now`, with the run-out forecasts too.

    One statement (`repo.catalog_of`); two more only to name whom to ask when refused."""
    catalog = repo.catalog_of(session, team_id=team_id, user_id=user_id)
    if catalog is None:
        raise AccountNotSetUp(team_id)
    account = catalog.account
    if not allows(catalog.role, Action.SEE_SUMMARY):
        require(session, Actor(_account(session, account.id), user_id, catalog.role), Action.SEE_SUMMARY)
    return _summary(session, account, catalog.role, catalog.products, now)


def summary_for(session: Session, actor: Actor, *, now: datetime | None = None) -> Summary:
    require(session, actor, Action.SEE_SUMMARY)
    products = repo.products_with_use(session, account_id=actor.account_id)
    return _summary(session, actor.account, actor.role, products, now)


def _summary(
    session: Session,
    account: Account | AccountFacts,
    role: Role,
    products: Sequence[tuple[ProductFacts, int]],
    now: datetime | None,
) -> Summary:
    used = {p.id: n for p, n in products if n}
    catalog = [p for p, _ in products]
    forecasts = (
        {} if now is None else run_outs(session, account=account, products=catalog, used=used, now=now)
    )
    return Summary(
        account_name=account.name,
        plan=Plan(account.plan),
        currency=account.currency,
        change_requests=account.change_requests,
        viewer_role=role,
        alert_threshold_pct=account.alert_threshold_pct,
        products=tuple(
            ProductUsage(
                key=p.key,
                name=p.name,
                edition=p.edition,
                seats=p.seats,
                used=n,
                price_per_seat=p.price_per_seat,
                suite=p.suite,
                runs_out=forecasts.get(p.id),
            )
            for p, n in products
        ),
    )


def _account(session: Session, account_id: int) -> Account:
    account = session.get(Account, account_id)
    assert account is not None
    return account
