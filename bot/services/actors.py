"""Who is acting, on which account, with which role; and the permission check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from bot.domain.errors import AccountNotSetUp, PermissionDenied
from bot.domain.permissions import Action, allows, who_to_ask
from storage import repositories as repo
from storage.models import Account, Role


@dataclass(frozen=True)
class Actor:
    account: Account
    user_id: str
    role: Role

    @property
    def account_id(self) -> int:
        assert self.account.id is not None
        return self.account.id


def load_actor(session: Session, *, team_id: str, user_id: str) -> Actor:
    found = repo.account_and_role(session, team_id=team_id, user_id=user_id)
    if found is None:
        raise AccountNotSetUp(team_id)
    account, role = found
    return Actor(account, user_id, role)


def load_actor_and_stock(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pending: bool = False,
    made_with: str | None = None,
    holders: Iterable[Role] | None = None,
) -> tuple[Actor, repo.Stock]:
    """`load_actor`, with the account's products and their seats in use (and with `pending`,
    the person's pending request; with `made_with`, also the request that idempotency key
    made; with `holders`, who holds those roles), in the same statement."""
    stock = repo.stock_of(
        session, team_id=team_id, user_id=user_id, pending=pending, made_with=made_with, holders=holders
    )
    if stock is None:
        raise AccountNotSetUp(team_id)
    return Actor(stock.account, user_id, stock.role), stock


def require(session: Session, actor: Actor, action: Action) -> None:
    """Raise PermissionDenied, naming the people to ask, unless the role allows `action`."""
    if allows(actor.role, action):
        return
    who = repo.holders_of(session, account_id=actor.account_id, roles=who_to_ask(action))
    raise PermissionDenied(action.value, who)
