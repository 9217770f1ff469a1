"""What an outbox row says, rendered from the database as it is at delivery time."""

from __future__ import annotations

from sqlmodel import Session

from bot.delivery.outbox import Kind
from bot.messages.reply import Reply
from bot.messages.requests import approval_message, order_message, outcome_message, released_message
from bot.services.request_views import load_request_view
from storage.models import Account, OutboxMessage


def render(session: Session, row: OutboxMessage, *, language: str, name_of: dict[str, str]) -> Reply:
    kind = Kind(row.kind)
    view = load_request_view(session, request_id=row.request_id) if row.request_id else None
    if kind in (Kind.APPROVAL, Kind.APPROVAL_REFRESH):
        assert view is not None
        return approval_message(view, language, requester_name=name_of.get(view.requester_id, ""))
    if kind is Kind.OUTCOME:
        assert view is not None
        return outcome_message(view, language)
    if kind is Kind.SEAT_RELEASED:
        assert view is not None
        params = row.params or {}
        return released_message(
            product=str(params.get("product", "")), by=view.decided_by or "", language=language
        )
    if kind is Kind.ORDER:
        assert view is not None
        account = session.get(Account, row.account_id)
        assert account is not None
        return order_message(view, account=account.name, language=language)
    raise ValueError(f"unknown outbox kind {row.kind!r}")
