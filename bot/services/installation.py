"""seatbot installed in, or uninstalled from, an account's workspace.

An uninstall (or a revoked bot token) pauses the account: its data stays, and
stays exportable (`seatbot audit export`); reminders and deliveries wait,
kept, until seatbot is installed again. Both are audited. A workspace with no
account yet changes nothing here.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.services.recording import Event, record
from storage.models import Account


def uninstalled(session: Session, *, team_id: str, now: datetime, reason: str) -> bool:
    """Pause the workspace's account; False when there is none or it was already paused."""
    account = session.exec(select(Account).where(Account.team_id == team_id).with_for_update()).first()
    if account is None or account.uninstalled_at is not None or account.id is None:
        return False
    account.uninstalled_at = now
    session.add(account)
    record(
        session,
        account_id=account.id,
        at=now,
        event=Event("account.uninstalled", "account", str(account.id), after={"reason": reason}),
    )
    return True


def installed(session: Session, *, team_id: str, now: datetime, installer_id: str | None) -> bool:
    """Resume the workspace's account after a new install; False when there was nothing to resume."""
    account = session.exec(select(Account).where(Account.team_id == team_id).with_for_update()).first()
    if account is None or account.uninstalled_at is None or account.id is None:
        return False
    paused_since = account.uninstalled_at
    account.uninstalled_at = None
    session.add(account)
    record(
        session,
        account_id=account.id,
        at=now,
        event=Event(
            "account.reinstalled",
            "account",
            str(account.id),
            actor_id=installer_id,
            before={"uninstalled_at": paused_since.isoformat()},
        ),
    )
    return True
