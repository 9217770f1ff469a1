"""What an outbox row says, rendered from the database as it is at delivery time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.domain.permissions import APPROVERS
from bot.messages.allowances import allowance_note
from bot.messages.reply import Reply
from bot.messages.requests import approval_message, order_message, outcome_message, released_message
from bot.messages.seats import alert_message, granted_message, undeliverable_message, waiting_done_message
from bot.messages.settings import owner_changed_message
from bot.services.decisions import request_state
from bot.services.ledger import alert_view
from bot.services.outbox import Kind
from bot.services.request_views import load_request_view
from storage import repositories as repo
from storage.models import Account, ChangeRequest, OutboxMessage, SeatAlert

REFRESH_OF = {
    Kind.APPROVAL: Kind.APPROVAL_REFRESH,
    Kind.NUDGE: Kind.APPROVAL_REFRESH,
    Kind.ESCALATION: Kind.APPROVAL_REFRESH,
    Kind.ALERT: Kind.ALERT_REFRESH,
}
"""Messages kept up to date after they are posted, and the kind that rewrites them."""

PURPOSE_OF = {Kind.NUDGE: Kind.APPROVAL, Kind.ESCALATION: Kind.APPROVAL}
"""Reminders and escalations are copies of the approval message: decided, they are all rewritten."""

APPROVAL_COPIES = (Kind.APPROVAL, Kind.APPROVAL_REFRESH, Kind.NUDGE, Kind.ESCALATION)


class Subject(Protocol):
    """What a message is about: enough to tell whether what it shows has changed."""

    @property
    def kind(self) -> str: ...
    @property
    def request_id(self) -> int | None: ...
    @property
    def alert_id(self) -> int | None: ...


# Built once, with bound parameters: the sender runs them for every copy it records.
_REQUEST_STATE_LOCKED = (
    select(ChangeRequest.status, ChangeRequest.version)
    .where(ChangeRequest.id == bindparam("id"))
    .with_for_update()
)
_ALERT_REVISION_LOCKED = select(SeatAlert.revision).where(SeatAlert.id == bindparam("id")).with_for_update()


def state_token(session: Session, row: Subject, *, lock: bool = False) -> str | None:
    """What a kept-up-to-date message shows, in a word: if it differs after posting, refresh."""
    if row.request_id and Kind(row.kind) in APPROVAL_COPIES:
        # Its status and its version: an amendment changes what a copy shows as much as a decision.
        if not lock:  # as just rendered, from this session (no second read)
            request = session.get(ChangeRequest, row.request_id)
            return None if request is None else request_state(request.status, request.version)
        found = session.exec(_REQUEST_STATE_LOCKED, params={"id": row.request_id}).first()
        return None if found is None else request_state(*found)
    if row.alert_id and Kind(row.kind) in (Kind.ALERT, Kind.ALERT_REFRESH):
        if not lock:
            seen = session.get(SeatAlert, row.alert_id)
            return None if seen is None else str(seen.revision)
        revision = session.exec(_ALERT_REVISION_LOCKED, params={"id": row.alert_id}).first()
        return None if revision is None else str(revision)
    return None


def _approvers(session: Session, row: OutboxMessage) -> list[str]:
    return repo.holders_of(session, account_id=row.account_id, roles=APPROVERS)


def render(
    session: Session,
    row: OutboxMessage,
    *,
    language: str,
    name_of: dict[str, str],
    now: datetime | None = None,
) -> Reply:
    """What `row` says now; `now` dates what depends on the time (an early warning's forecast)."""
    kind = Kind(row.kind)
    params = row.params or {}
    if kind in (Kind.ALERT, Kind.ALERT_REFRESH):
        assert row.alert_id is not None
        alert = alert_view(session, account_id=row.account_id, alert_id=row.alert_id, now=now)
        return alert_message(alert, language)
    if kind is Kind.SEAT_GRANTED:
        return granted_message(product=str(params["product"]), by=params.get("by"), language=language)
    if kind is Kind.WAITING_DONE:
        return waiting_done_message(
            product=str(params["product"]), user=str(params["user"]), language=language
        )
    if kind is Kind.OWNER_CHANGED:
        account = session.get(Account, row.account_id)
        assert account is not None
        return owner_changed_message(
            old_owner=str(params["old_owner"]),
            new_owner=str(params["new_owner"]),
            account=account.name,
            to_new=row.recipient == params["new_owner"],
            language=language,
        )
    if kind is Kind.UNDELIVERABLE:
        return undeliverable_message(
            channel=str(params["channel"]), error=str(params["error"]), language=language
        )
    if kind is Kind.SEAT_RELEASED and not row.request_id:
        return released_message(
            product=str(params["product"]), by=str(params.get("by") or ""), language=language, direct=True
        )
    view = (
        load_request_view(session, account_id=row.account_id, request_id=row.request_id)
        if row.request_id
        else None
    )
    assert view is not None, f"outbox {row.id} ({row.kind}) has no request"
    if kind in APPROVAL_COPIES:
        return approval_message(
            view,
            language,
            requester_name=name_of.get(view.requester_id, ""),
            reminder=kind is Kind.NUDGE,
            escalated=kind is Kind.ESCALATION,
            approvers=_approvers(session, row) if kind is Kind.ESCALATION else [],
        )
    if kind is Kind.OUTCOME:
        return outcome_message(view, language)
    if kind is Kind.AUTO_APPROVED:
        left = params.get("left")
        return allowance_note(view, left=left if isinstance(left, list) else [], language=language)
    if kind is Kind.SEAT_RELEASED:
        return released_message(
            product=str(params.get("product", "")), by=view.decided_by or "", language=language
        )
    if kind is Kind.ORDER:
        account = session.get(Account, row.account_id)
        assert account is not None
        return order_message(view, account=account.name, language=language)
    raise ValueError(f"unknown outbox kind {row.kind!r}")
