"""Drafting and submitting seat changes: the change modal's use cases.

The owner and billing admins change seats directly; admins send a request
(when the account allows it). Which one happens is decided here, from the
role in the database, never from what the modal says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.domain.commands import Amount
from bot.domain.errors import (
    AlreadyDecided,
    AlreadyPending,
    DraftRejected,
    InvalidInput,
    NoLongerApplicable,
    PermissionDenied,
    Problem,
    RequestsDisabled,
)
from bot.domain.forecast import RunOut
from bot.domain.permissions import APPROVERS, Action
from bot.domain.request_view import RequestView
from bot.services import allowances, drafts, ledger
from bot.services.actors import Actor, load_actor_and_stock
from bot.services.closing import close_request
from bot.services.forecasts import run_outs
from bot.services.outbox import Kind
from bot.services.products import find_product, with_suites
from bot.services.recording import Event, Message, record
from bot.services.request_views import request_view, written_view
from bot.services.schedule import next_due
from bot.services.text import clean_text, fold
from storage import repositories as repo
from storage.models import (
    MAX_SEATS,
    ChangeRequest,
    Plan,
    Product,
    RequestStatus,
    Role,
)


class Mode(StrEnum):
    REQUEST = "request"
    UPDATE = "update"
    """Self-service owner / billing admin: "Update subscription"."""
    ORDER = "order"
    """Sales-assisted owner / billing admin: "Process order"."""


@dataclass(frozen=True)
class Draft:
    """What the modal shows: who drafts, how it will be submitted, and its effect."""

    actor: Actor
    mode: Mode
    products: list[Product]
    used: dict[int, int]
    change: drafts.ChangePreview
    problems: list[Problem]
    initial: dict[str, int] = field(default_factory=dict)
    """Counts the form opens with (`/seats request support +5`), when not the current ones."""
    runs_out: dict[int, RunOut] = field(default_factory=dict)
    """The run-out forecast of each product that has one, by product id (the form only)."""

    @property
    def monthly_total(self) -> Decimal | None:
        """The account's monthly total now (priced products), which the change moves."""
        costs = [p.price_per_seat * p.seats for p in self.products if p.price_per_seat is not None]
        return sum(costs, Decimal(0)) if costs else None


@dataclass(frozen=True)
class Submission:
    counts: Mapping[str, str | None]
    """Product key → what was typed (None or "" = unchanged)."""
    justification: str = ""
    confirmed_token: str | None = None


@dataclass(frozen=True)
class Submitted:
    actor: Actor
    request: ChangeRequest
    mode: Mode
    change: drafts.ChangePreview
    released: list[ledger.Released]
    allowance: list[allowances.Taken] | None = None
    """A request approved at once within its products' standing allowances: what it took."""
    asked: list[str] | None = None
    """The approvers this submission asked (None: not asked here, e.g. a replay)."""
    replay: bool = False
    """Made by an earlier delivery of this same submission: `change` is not known here."""


def mode_for(session: Session, actor: Actor) -> Mode:
    """How `actor` may change seats, or the error saying why not (and whom to ask)."""
    if actor.role in APPROVERS:
        return Mode.ORDER if actor.account.plan == Plan.SALES_ASSISTED.value else Mode.UPDATE
    if actor.role is Role.ADMIN and actor.account.change_requests:
        return Mode.REQUEST
    owner = repo.holders_of(session, account_id=actor.account_id, roles=[Role.OWNER])
    if actor.role is Role.ADMIN:
        raise RequestsDisabled(owner[0] if owner else None)
    raise PermissionDenied(Action.SEND_REQUEST.value, owner)


def draft(
    session: Session, *, team_id: str, user_id: str, submission: Submission, check: bool = False
) -> Draft:
    """Preview a change (for the modal); with `check`, also list what blocks submitting it."""
    actor, stock = load_actor_and_stock(session, team_id=team_id, user_id=user_id)
    return draft_for(session, actor, submission, check=check, products=stock.products, used=stock.used)


def draft_for(
    session: Session,
    actor: Actor,
    submission: Submission,
    *,
    products: list[Product],
    used: dict[int, int],
    check: bool = False,
) -> Draft:
    """The draft of `submission` against `products` as read (with the seats `used` of each)."""
    mode = mode_for(session, actor)
    counts, problems = drafts.parse_counts(submission.counts, {p.key for p in products})
    change = drafts.preview(
        session, products=products, used=used, currency=actor.account.currency, counts=counts
    )
    if check:
        problems += drafts.check(
            change,
            justification=submission.justification,
            confirmed_token=submission.confirmed_token,
            justification_required=mode is Mode.REQUEST,
        )
    return Draft(actor, mode, products, used, change, problems)


def modal_for(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    product: str | None = None,
    amount: Amount | None = None,
    submission: Submission | None = None,
    now: datetime | None = None,
) -> Draft:
    """What the change form shows: opened afresh (pre-filled from `product` and `amount`;
    refused if a request of the person is pending) or redrawn from a `submission` in progress.
    With `now`, each product's run-out forecast too."""
    actor, stock = load_actor_and_stock(session, team_id=team_id, user_id=user_id, pending=submission is None)
    products, used = stock.products, stock.used
    if submission is not None:  # redrawn: the form was allowed when it opened
        shown = draft_for(session, actor, submission, products=products, used=used)
    else:
        if mode_for(session, actor) is Mode.REQUEST and stock.pending_id is not None:
            _refuse_if_pending(session, actor, session.get(ChangeRequest, stock.pending_id))
        if not products:
            raise InvalidInput("no_products")  # a form with nothing to fill in helps nobody
        initial = prefill(products, product=product, amount=amount, direct=actor.role in APPROVERS)
        counts = {k: str(v) for k, v in initial.items()}
        shown = draft_for(session, actor, Submission(counts=counts), products=products, used=used)
        shown = replace(shown, initial=initial)
    if now is None:
        return shown
    forecasts = run_outs(session, account=actor.account, products=shown.products, used=shown.used, now=now)
    return replace(shown, runs_out=forecasts)


@dataclass(frozen=True)
class Shown:
    """What the form shows once submitted: the change as stored, and who was asked to decide."""

    mode: Mode
    request: RequestView
    approvers: list[str]


def submitted_view(session: Session, done: Submitted) -> Shown:
    if done.replay:  # made earlier: read back as it is
        shown = request_view(session, done.request, done.actor.account)
    else:  # written just now, from this change: nothing to read back
        shown = written_view(done.request, done.actor.account, done.change)
    approvers = done.asked
    if approvers is None:
        holders = repo.holders_of(session, account_id=done.actor.account_id, roles=APPROVERS)
        approvers = [u for u in holders if u != done.actor.user_id]
    return Shown(done.mode, shown, approvers)


def submit_and_show(session: Session, **arguments: Any) -> Shown:
    """`submit` (with its arguments), then what the form shows of it, in the same transaction."""
    return submitted_view(session, submit(session, **arguments))


_PENDING_OF = select(ChangeRequest).where(
    ChangeRequest.account_id == bindparam("account_id"),
    ChangeRequest.requester_id == bindparam("user_id"),
    ChangeRequest.status == RequestStatus.PENDING.value,
)
"""Built once: every form opened and every submission asks it."""


def pending_request_of(session: Session, *, account_id: int, user_id: str) -> ChangeRequest | None:
    return session.exec(_PENDING_OF, params={"account_id": account_id, "user_id": user_id}).first()


@dataclass(frozen=True)
class _Mine:
    replayed: Submitted | None
    pending: ChangeRequest | None


def _mine(session: Session, actor: Actor, stock: repo.Stock) -> _Mine:
    """A submission's two questions, answered by the stock's read (`made_with`): did this
    same submission already make a change, and is a request of this person pending. Each
    request is loaded only when there is one: on a submission's usual path, neither is."""
    made = session.get(ChangeRequest, stock.made_id) if stock.made_id is not None else None
    pending = session.get(ChangeRequest, stock.pending_id) if stock.pending_id is not None else None
    return _Mine(_replayed(session, actor, made), pending)


def _replayed(session: Session, actor: Actor, request: ChangeRequest | None) -> Submitted | None:
    """The change already made by this same submission (a replay, a double click), if any."""
    if request is None or request.requester_id != actor.user_id:
        return None
    mode = mode_for(session, actor) if not request.direct else _direct_mode(actor)
    return Submitted(actor, request, mode, drafts.ChangePreview(actor.account.currency, ()), [], replay=True)


def _direct_mode(actor: Actor) -> Mode:
    return Mode.ORDER if actor.account.plan == Plan.SALES_ASSISTED.value else Mode.UPDATE


def precheck(
    session: Session, *, team_id: str, user_id: str, submission: Submission, key: str | None
) -> Shown | None:
    """Before a submission is acked, read-only: what this same submission already made
    (a replay, a double click), or None when it may go ahead; raises what `submit`
    would refuse."""
    actor, stock = load_actor_and_stock(
        session, team_id=team_id, user_id=user_id, pending=True, made_with=key
    )
    mine = _mine(session, actor, stock)
    if mine.replayed is None:
        _check(session, actor, stock, submission, pending=mine.pending)
        return None
    return submitted_view(session, mine.replayed)


def picked_draft(
    session: Session, *, team_id: str, user_id: str, submission: Submission, picked: Sequence[str]
) -> Draft:
    """The draft of a large account's form, where a picker chooses the products shown: a
    product taken out of the picker drops its typed value with it."""
    actor, stock = load_actor_and_stock(session, team_id=team_id, user_id=user_id)
    current = draft_for(session, actor, submission, products=stock.products, used=stock.used)
    kept = set(with_suites(current.products, picked))
    counts = {k: v for k, v in submission.counts.items() if k in kept}
    if counts == dict(submission.counts):
        return current
    return draft_for(
        session, actor, replace(submission, counts=counts), products=current.products, used=current.used
    )


def _check(
    session: Session,
    actor: Actor,
    stock: repo.Stock,
    submission: Submission,
    *,
    pending: ChangeRequest | None,
) -> Draft:
    """Everything `submit` refuses, read-only; `pending`: the person's pending request (`_mine`)."""
    current = draft_for(session, actor, submission, check=True, products=stock.products, used=stock.used)
    if current.mode is Mode.REQUEST:
        _refuse_if_pending(session, actor, pending)
    if current.problems:
        raise DraftRejected(current.problems)
    return current


def _refuse_if_pending(session: Session, actor: Actor, pending: ChangeRequest | None) -> None:
    """One pending request per requester: name the one already waiting."""
    if pending is not None:
        raise AlreadyPending(pending.id or 0, request_view(session, pending, actor.account))


def submit(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    submission: Submission,
    now: datetime,
    idempotency_key: str | None = None,
) -> Submitted:
    """Apply the change at once (approvers) or send it for approval (admins).

    The same `idempotency_key` (a modal's view id, a Buy offer) makes one change
    however often it comes: a replay gets the change already made.
    """
    actor, stock = load_actor_and_stock(
        session, team_id=team_id, user_id=user_id, pending=True, made_with=idempotency_key, holders=APPROVERS
    )
    mine = _mine(session, actor, stock)
    if mine.replayed is not None:
        return mine.replayed
    submission = replace(submission, justification=clean_text(submission.justification, limit=10_000))
    current = _check(session, actor, stock, submission, pending=mine.pending)
    request = _record(session, current, submission.justification.strip(), now, idempotency_key)
    released: list[ledger.Released] = []
    if current.mode is Mode.REQUEST:
        assert stock.holders is not None  # asked for with the stock
        within = within_allowance(session, current, request, now, approvers=stock.holders)
        if within is not None:
            taken, released = within
            return Submitted(actor, request, current.mode, current.change, released, allowance=taken)
        asked = _notify_approvers(session, actor=actor, request=request, holders=stock.holders, now=now)
        return Submitted(actor, request, current.mode, current.change, released, asked=asked)
    released = ledger.apply_change(
        session, account=actor.account, request_id=request.id or 0, actor_id=user_id, now=now
    )
    return Submitted(actor, request, current.mode, current.change, released)


def _record(
    session: Session, current: Draft, justification: str, now: datetime, idempotency_key: str | None
) -> ChangeRequest:
    actor = current.actor
    direct = current.mode is not Mode.REQUEST
    request = ChangeRequest(
        account_id=actor.account_id,
        requester_id=actor.user_id,
        direct=direct,
        justification=justification,
        created_at=now,
        updated_at=now,
        status=(RequestStatus.APPLIED if direct else RequestStatus.PENDING).value,
        decided_at=now if direct else None,
        decided_by=actor.user_id if direct else None,
        applied_at=now if direct else None,
        idempotency_key=idempotency_key,
    )
    # When the scheduler first has work for it (its first reminder, or expiry).
    request.next_due_at = next_due(actor.account, request)
    stored = repo.insert_unless_taken(session, request)
    if stored is None:
        # Lost a race: to the same submission replayed (the idempotency key is taken)
        # or to a second one from the same person (one pending request per requester).
        pending = pending_request_of(session, account_id=actor.account_id, user_id=actor.user_id)
        shown = request_view(session, pending, actor.account) if pending else None
        raise AlreadyPending(pending.id if pending and pending.id else 0, shown)
    request = stored
    write_lines(session, request.id or 0, current)
    created = Event(
        "change.applied_directly" if direct else "request.created",
        "change_request",
        str(request.id),
        actor_id=actor.user_id,
        after={
            "lines": {line.key: [line.before, line.after] for line in current.change.lines},
            "justification": justification,
        },
    )
    record(session, account_id=actor.account_id, at=now, event=created)
    return request


def within_allowance(
    session: Session, current: Draft, request: ChangeRequest, now: datetime, *, approvers: list[str]
) -> tuple[list[allowances.Taken], list[ledger.Released]] | None:
    """Approve and apply `request` at once if it is within its products' standing
    allowances, telling `approvers` (the account's, as the caller read them); None (and
    nothing taken) when it needs an approver after all."""
    actor = current.actor
    if not allowances.may_cover(actor.account, current.products, current.change.lines):
        return None  # most requests: no nested transaction begun (and snapshotted) to find out
    try:
        with session.begin_nested():
            taken = allowances.take(
                session, account=actor.account, products=current.products, lines=current.change.lines, now=now
            )
            if taken is None:
                raise _NeedsApprover()
            close_request(session, request, RequestStatus.APPROVED, by=None, now=now, reason=None)
            released = ledger.apply_change(
                session, account=actor.account, request_id=request.id or 0, actor_id=None, now=now
            )
    except (_NeedsApprover, NoLongerApplicable, AlreadyDecided):
        return None
    request.status = RequestStatus.APPLIED.value
    request.applied_at = now
    session.add(request)
    left = [{"product": t.name, "seats": t.seats_left, "cost": _money(t.cost_left)} for t in taken]
    record(
        session,
        account_id=actor.account_id,
        at=now,
        event=Event(
            "request.auto_approved",
            "change_request",
            str(request.id),
            before={"status": RequestStatus.PENDING.value},
            after={
                "status": RequestStatus.APPLIED.value,
                "allowance": {t.key: {"seats": t.seats, "cost": str(t.cost)} for t in taken},
                "left": {t.key: {"seats": t.seats_left, "cost": _money(t.cost_left)} for t in taken},
            },
        ),
        messages=[
            Message(
                Kind.AUTO_APPROVED,
                approver,
                f"auto_approved:{request.id}:{approver}",
                request_id=request.id,
                params={"left": left},
            )
            for approver in approvers
            if approver != request.requester_id
        ],
    )
    return taken, released


class _NeedsApprover(Exception):
    pass


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def write_lines(session: Session, request_id: int, current: Draft) -> None:
    """The request's lines: one per product whose count the draft changes."""
    ids = {p.key: p.id for p in current.products}
    repo.add_request_lines(
        session,
        [
            {
                "request_id": request_id,
                "product_id": ids[line.key] or 0,
                "from_seats": line.before,
                "to_seats": line.after,
                "releases": [h.user_id for h in line.releases] or None,
            }
            for line in current.change.lines
        ],
    )


def _notify_approvers(
    session: Session, *, actor: Actor, request: ChangeRequest, holders: list[str], now: datetime
) -> list[str]:
    """Queue the approval DMs to the approvers (`holders`, read with the stock); returns whom
    they go to."""
    approvers = [approver for approver in holders if approver != request.requester_id]
    asks = [
        Message(Kind.APPROVAL, approver, f"approval:{request.id}:{approver}", request_id=request.id)
        for approver in approvers
    ]
    record(session, account_id=actor.account_id, at=now, messages=asks)
    return approvers


def prefill(
    products: list[Product], *, product: str | None, amount: Amount | None, direct: bool = False
) -> dict[str, int]:
    """Resolve `/seats request support +5` against the account's products.

    A product is named by its key or its display name, ignoring case and accents.
    `direct`: the owner or a billing admin asks, who has nobody to ask about billing.
    """
    if product is None and amount is None:
        return {}
    if product is None:
        if len(products) != 1:
            raise InvalidInput("product_needed", products=[p.key for p in products])
        chosen = products[0]
    else:
        if fold(product) in BILLING_WORDS:
            raise InvalidInput("billing_not_changed_here" if direct else "billing_not_requestable")
        chosen = find_product(products, product)
    if amount is None:
        return {}
    target = amount.apply_to(chosen.seats)
    if target < 0:
        raise InvalidInput("below_zero", product=chosen.name, seats=chosen.seats, value=amount.value)
    if target > MAX_SEATS:
        raise InvalidInput("too_many", max=MAX_SEATS)
    return {chosen.key: target}


BILLING_WORDS = frozenset(
    {
        "invoice",
        "invoices",
        "payment",
        "payments",
        "billing",
        "card",
        "facture",
        "factures",
        "paiement",
        "facturation",
        "carte",
    }
)
"""Ref: payment method and invoice changes cannot be requested; say so rather than "unknown product"."""
