"""A requester amends their pending request instead of withdrawing it and asking again.

The request keeps its number and its place (still the requester's one pending
request); its lines and justification are replaced and its `version` raised by a
conditional update, so an approver deciding on the version they saw is refused
once it changed (`bot.services.decisions.decide`). The approvers' copies are
rewritten in place, and an amendment that now fits a standing allowance is
approved at once like a new request would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from bot.domain.commands import Amount
from bot.domain.errors import AlreadyDecided, DraftRejected, NothingToAmend
from bot.domain.permissions import APPROVERS
from bot.services.actors import Actor, load_actor, load_actor_and_stock
from bot.services.allowances import Taken
from bot.services.decisions import refresh_copies
from bot.services.forecasts import run_outs
from bot.services.ledger import Released
from bot.services.recording import Event, record
from bot.services.seat_changes import (
    Draft,
    Mode,
    Submission,
    draft_for,
    pending_request_of,
    prefill,
    within_allowance,
    write_lines,
)
from bot.services.text import clean_text
from storage import repositories as repo
from storage.models import ChangeRequest, ChangeRequestLine, Product


@dataclass(frozen=True)
class Amended:
    actor: Actor
    request: ChangeRequest
    changed: bool
    """False when the amendment said what the request already said (nothing recorded)."""
    allowance: list[Taken] | None = None
    released: list[Released] | None = None
    approvers: list[str] = field(default_factory=list)
    """Whose copies and App Home show the request (to redraw)."""


def amendable(session: Session, *, team_id: str, user_id: str) -> tuple[ChangeRequest, dict[str, int], str]:
    """The person's pending request, its counts by product key and its justification: what the
    amendment form opens with."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    request = _pending(session, actor)
    return request, _counts(session, request.id or 0), request.justification


def amend(session: Session, *, team_id: str, user_id: str, submission: Submission, now: datetime) -> Amended:
    actor, stock = load_actor_and_stock(session, team_id=team_id, user_id=user_id)
    request = _pending(session, actor)
    submission = replace(submission, justification=clean_text(submission.justification, limit=10_000))
    current = draft_for(session, actor, submission, check=True, products=stock.products, used=stock.used)
    if current.mode is not Mode.REQUEST:
        raise NothingToAmend()  # the person now decides seats themselves: nothing waits for approval
    if current.problems:
        raise DraftRejected(current.problems)
    justification = submission.justification.strip()
    before: dict[str, object] = {
        "lines": _lines_of(session, request.id or 0),
        "justification": request.justification,
    }
    after: dict[str, object] = {
        "lines": {line.key: [line.before, line.after] for line in current.change.lines},
        "justification": justification,
    }
    holders = repo.holders_of(session, account_id=actor.account_id, roles=APPROVERS)
    approvers = [u for u in holders if u != user_id]
    if before == after:
        return Amended(actor, request, changed=False, approvers=approvers)
    _replace(session, request, current, justification, now)
    record(
        session,
        account_id=actor.account_id,
        at=now,
        event=Event(
            "request.amended",
            "change_request",
            str(request.id),
            actor_id=user_id,
            before={**before, "version": request.version - 1},
            after={**after, "version": request.version},
        ),
    )
    within = within_allowance(session, current, request, now, approvers=holders)
    if within is not None:
        taken, released = within
        return Amended(actor, request, True, allowance=taken, released=released, approvers=approvers)
    refresh_copies(session, account_id=actor.account_id, request_id=request.id or 0, now=now)
    return Amended(actor, request, changed=True, approvers=approvers)


def _replace(
    session: Session, request: ChangeRequest, current: Draft, justification: str, now: datetime
) -> None:
    seen = request.version
    if not repo.update_if_pending(
        session,
        request.id or 0,
        col(ChangeRequest.version) == seen,
        version=seen + 1,
        justification=justification,
        updated_at=now,
    ):
        session.refresh(request)
        raise AlreadyDecided(request.id or 0, request.status, request.decided_by, request.decided_at)
    session.execute(delete(ChangeRequestLine).where(col(ChangeRequestLine.request_id) == request.id))
    write_lines(session, request.id or 0, current)
    session.refresh(request)


def _pending(session: Session, actor: Actor) -> ChangeRequest:
    request = pending_request_of(session, account_id=actor.account_id, user_id=actor.user_id)
    if request is None:
        raise NothingToAmend()
    return request


def _lines_of(session: Session, request_id: int) -> dict[str, list[int]]:
    rows = session.exec(
        select(Product.key, ChangeRequestLine.from_seats, ChangeRequestLine.to_seats)
        .join(Product, col(Product.id) == col(ChangeRequestLine.product_id))
        .where(ChangeRequestLine.request_id == request_id)
    )
    return {key: [before, after] for key, before, after in rows}


def _counts(session: Session, request_id: int) -> dict[str, int]:
    return {key: after for key, (_, after) in _lines_of(session, request_id).items()}


@dataclass(frozen=True)
class AmendForm:
    """What the amendment form opens with: the request's counts and words."""

    draft: Draft
    request_id: int
    justification: str


def amend_form(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    product: str | None = None,
    amount: Amount | None = None,
    now: datetime | None = None,
) -> AmendForm:
    """The form amending the person's pending request, its counts written in (and, from
    `/seats request support +2`, that product's count moved on top)."""
    actor, stock = load_actor_and_stock(session, team_id=team_id, user_id=user_id)
    request = _pending(session, actor)
    products, used = stock.products, stock.used
    initial = {**_counts(session, request.id or 0), **prefill(products, product=product, amount=amount)}
    counts = {key: str(value) for key, value in initial.items()}
    shown = draft_for(session, actor, Submission(counts=counts), products=products, used=used)
    if now is not None:
        shown = replace(
            shown, runs_out=run_outs(session, account=actor.account, products=products, used=used, now=now)
        )
    return AmendForm(replace(shown, initial=initial), request.id or 0, request.justification)


def check_amendment(session: Session, *, team_id: str, user_id: str, submission: Submission) -> None:
    """Before the ack, read-only: what `amend` would refuse."""
    actor, stock = load_actor_and_stock(session, team_id=team_id, user_id=user_id)
    _pending(session, actor)
    current = draft_for(session, actor, submission, check=True, products=stock.products, used=stock.used)
    if current.problems:
        raise DraftRejected(current.problems)
