"""The account's settings from Slack: read (owner, billing admins, admins), changed and
handed over (owner only).

A change is the account's file (`export_account`) with the form's edits, checked by
the file's own schema and applied by `load_account`: audited with before/after, and
saving unchanged settings records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.domain.account_file import AccountFile, AccountSection, PolicySection, RolesSection
from bot.domain.account_form import SettingsForm, validate_form
from bot.domain.errors import InvalidInput
from bot.domain.permissions import Action
from bot.services.actors import Actor, load_actor, require
from bot.services.export_account import account_fields, export_account, policy_fields
from bot.services.load_account import LoadReport, load_account
from bot.services.outbox import Kind
from bot.services.recording import Event, Message, record
from storage import repositories as repo
from storage.models import Account, Role


@dataclass(frozen=True)
class AccountSettings:
    """The settings as App Home shows them (the file's sections but products and agents,
    which the summary shows), and whether the viewer may change them."""

    account: AccountSection
    roles: RolesSection
    policy: PolicySection
    editable: bool


def settings_for(session: Session, actor: Actor) -> AccountSettings | None:
    """The settings for whoever sees the subscription (owner, billing admins, admins); None
    for anyone else, who sees nothing of them. One query (the roles) past the actor's."""
    if actor.role is Role.MEMBER:
        return None
    holders = repo.holders_by_role(session, account_id=actor.account_id)
    return AccountSettings(
        account=AccountSection.model_validate(account_fields(actor.account)),
        roles=RolesSection.model_validate(
            {
                "owner": next(iter(holders[Role.OWNER]), actor.user_id),
                "billing_admins": holders[Role.BILLING_ADMIN],
                "admins": holders[Role.ADMIN],
            }
        ),
        policy=PolicySection.model_validate(policy_fields(actor.account)),
        editable=actor.role is Role.OWNER,
    )


def settings_to_edit(session: Session, *, team_id: str, user_id: str) -> AccountFile:
    """The current settings, for the owner's form."""
    actor = _owner(session, team_id=team_id, user_id=user_id)
    return export_account(session, account=actor.account)


def check_settings(session: Session, *, team_id: str, user_id: str, form: SettingsForm) -> AccountFile:
    """The account's file with the form's edits, validated. Read-only."""
    actor = _owner(session, team_id=team_id, user_id=user_id)
    return validate_form(form.applied_to(export_account(session, account=actor.account)))


def save_settings(
    session: Session, *, team_id: str, user_id: str, now: datetime, form: SettingsForm
) -> LoadReport:
    """Apply the form's edits; `changes` is empty when there were none (nothing recorded)."""
    _lock(session, team_id)
    data = check_settings(session, team_id=team_id, user_id=user_id, form=form)
    return load_account(session, data=data, team_id=team_id, now=now, actor_id=user_id)


@dataclass(frozen=True)
class Transfer:
    old_owner: str
    new_owner: str
    done: bool
    """False: the ownership had already moved to `new_owner` (a replayed confirmation)."""


def check_transfer(session: Session, *, team_id: str, user_id: str, new_owner: str) -> Transfer:
    """Whether this person may hand the account to `new_owner`. Read-only."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    if actor.role is not Role.OWNER:
        current = export_account(session, account=actor.account)
        if current.roles.owner == new_owner and user_id in current.roles.admins:
            return Transfer(user_id, new_owner, done=False)
    require(session, actor, Action.CHANGE_SETTINGS)
    if new_owner == user_id:
        raise InvalidInput("transfer_to_self")
    return Transfer(user_id, new_owner, done=True)


def transfer_ownership(
    session: Session, *, team_id: str, user_id: str, now: datetime, new_owner: str
) -> Transfer:
    """Make `new_owner` the owner and the old owner an admin, in one transaction (the
    one-owner index holds throughout); both are told by DM."""
    _lock(session, team_id)
    transfer = check_transfer(session, team_id=team_id, user_id=user_id, new_owner=new_owner)
    if not transfer.done:
        return transfer
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    current = export_account(session, account=actor.account)
    document = current.model_dump(mode="python")
    others = [u for u in current.roles.admins if u not in (new_owner, user_id)]
    document["roles"] = {
        "owner": new_owner,
        "billing_admins": [u for u in current.roles.billing_admins if u != new_owner],
        "admins": [user_id, *others],
    }
    load_account(session, data=validate_form(document), team_id=team_id, now=now, actor_id=user_id)
    key = f"owner:{actor.account_id}:{now.isoformat()}:{new_owner}"
    params = {"old_owner": user_id, "new_owner": new_owner}
    record(
        session,
        account_id=actor.account_id,
        at=now,
        event=Event(
            "account.owner_transferred",
            "account",
            str(actor.account_id),
            actor_id=user_id,
            before={"owner": user_id},
            after={"owner": new_owner},
        ),
        messages=[
            Message(Kind.OWNER_CHANGED, new_owner, f"{key}:new", params=params),
            Message(Kind.OWNER_CHANGED, user_id, f"{key}:old", params=params),
        ],
    )
    return transfer


def _owner(session: Session, *, team_id: str, user_id: str) -> Actor:
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.CHANGE_SETTINGS)
    return actor


def _lock(session: Session, team_id: str) -> None:
    """One settings change at a time per account (two owners' tabs, a transfer meanwhile)."""
    session.exec(select(Account).where(Account.team_id == team_id).with_for_update()).first()
