"""Onboarding: a workspace with no account gets one from a form filled in Slack.

Who may set it up (the installer, a Slack workspace admin) is Slack's to say and is
checked by the caller; the person setting up becomes the owner. The account is
created by `load_account`, as from a file: the same schema, the same audit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.domain.account_file import AccountFile
from bot.domain.account_form import SettingsForm, validate_form
from bot.domain.errors import AlreadySetUp
from bot.services.load_account import load_account
from storage import repositories as repo
from storage.models import Role


def require_no_account(session: Session, *, team_id: str, user_id: str) -> None:
    """Raise AlreadySetUp, naming the owner, once the workspace has an account."""
    account = repo.account_by_team(session, team_id=team_id)
    if account is not None and account.id is not None:
        owners = repo.holders_of(session, account_id=account.id, roles=[Role.OWNER])
        raise AlreadySetUp(owners[0] if owners else None)


def check_setup(session: Session, *, team_id: str, user_id: str, form: SettingsForm) -> AccountFile | None:
    """The account the form would create; None when this person already set it up (a
    replayed submission). Raises AlreadySetUp when someone else did, SettingsRejected
    when the form breaks the file's rules. Read-only."""
    account = repo.account_by_team(session, team_id=team_id)
    if account is not None and account.id is not None:
        owners = repo.holders_of(session, account_id=account.id, roles=[Role.OWNER])
        if user_id in owners:
            return None
        raise AlreadySetUp(owners[0] if owners else None)
    return validate_form(form.document(owner=user_id))


def set_up_account(
    session: Session, *, team_id: str, user_id: str, now: datetime, form: SettingsForm
) -> bool:
    """Create the account with this person as its owner; False if they already had (a replay)."""
    data = check_setup(session, team_id=team_id, user_id=user_id, form=form)
    if data is None:
        return False
    try:
        load_account(session, data=data, team_id=team_id, now=now, actor_id=user_id)
    except IntegrityError as exc:  # someone else's set-up committed first (one account per team)
        raise AlreadySetUp(None) from exc
    return True
