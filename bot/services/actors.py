"""Who is acting, on which account, with which role; and the permission check."""

from __future__ import annotations

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


def load_actor_and_pending(session: Session, *, team_id: str, user_id: str) -> tuple[Actor, int | None]:
    """`load_actor`, with the id of the person's pending request if any, in the same statement."""
    found = repo.account_role_and_pending(session, team_id=team_id, user_id=user_id)
    if found is None:
        raise AccountNotSetUp(team_id)
    account, role, pending = found
    return Actor(account, user_id, role), pending


def require(session: Session, actor: Actor, action: Action) -> None:
    """Raise PermissionDenied, naming the people to ask, unless the role allows `action`."""
    if allows(actor.role, action):
        return
    who = repo.holders_of(session, account_id=actor.account_id, roles=who_to_ask(action))
    raise PermissionDenied(action.value, who)
