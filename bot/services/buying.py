"""The one-click "Buy N more seats": a direct change by an owner or billing admin,
taken at most once per offer.

The offer's key is stored as the change's `idempotency_key`, unique per
account: a replayed request, a double click or a second click on the same
button finds the change already made and is told what happened. The product
rows (the whole suite) are locked before anything is read, so two clicks
racing are served one after the other and the second sees the first's change.
An offer made at another seat count than today's buys nothing: the person is
told the count now and, if people still wait, gets a fresh offer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.domain.errors import InvalidInput, NoLongerApplicable
from bot.domain.permissions import Action
from bot.services import ledger
from bot.services.actors import Actor, load_actor, require
from bot.services.offers import ALERT, WAITING, BuyOffer
from bot.services.products import find_product
from bot.services.recording import Event, record
from storage import repositories as repo
from storage.models import (
    MAX_SEATS,
    ChangeRequest,
    ChangeRequestLine,
    PendingAssignment,
    Product,
    RequestStatus,
    SeatAlert,
    WaitingStatus,
)

logger = logging.getLogger(__name__)

MAX_BUY = 1000
"""No offer is ever for more seats than this; a bigger count is a forged value."""

JUSTIFICATION = "Seats bought for people waiting"


class BuyOutcome(StrEnum):
    BOUGHT = "bought"
    ALREADY = "already"
    """This offer was already taken (a replay, a double click, a second click)."""
    STALE = "stale"
    """Seats moved since the offer, or nobody waits any more: nothing was bought."""


@dataclass(frozen=True)
class Moved:
    product: str
    before: int
    after: int


@dataclass(frozen=True)
class BuyResult:
    outcome: BuyOutcome
    product: Product
    """The product whose offer was clicked."""
    moved: list[Moved] = field(default_factory=list)
    """Bought / already: every product the change moved (the whole suite)."""
    suite: str | None = None
    given: list[str] = field(default_factory=list)
    """Bought: who was waiting and now has a seat."""
    request_id: int | None = None
    by: str | None = None
    at: datetime | None = None
    waiting: int = 0
    """Stale: people still waiting for the product."""
    offer: BuyOffer | None = None
    """Stale: a fresh offer at today's count, if people still wait."""
    currency: str = "EUR"

    @property
    def price_per_seat(self) -> Decimal | None:
        return self.product.price_per_seat


def buy_seats(session: Session, *, team_id: str, user_id: str, offer: BuyOffer, now: datetime) -> BuyResult:
    """Take the offer once: bought, already bought (by whom, when), or stale (nothing bought)."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.CHANGE_SEATS)
    return replace(_buy(session, actor, offer, now), currency=actor.account.currency)


def _buy(session: Session, actor: Actor, offer: BuyOffer, now: datetime) -> BuyResult:
    user_id = actor.user_id
    product = find_product(repo.products(session, account_id=actor.account_id), offer.product_key)
    _check_offer(session, actor, product, offer)
    suite = _lock_suite(session, actor, product)
    done = _change_of(session, account_id=actor.account_id, key=offer.key)
    if done is not None:
        return _already(session, product, done)
    waiting = ledger.waiting_users(session, product_id=product.id or 0)
    if any(p.seats != offer.from_seats for p in suite) or len(waiting) < offer.count:
        return _stale(session, product, waiting)
    waiting_before = {p.id or 0: ledger.waiting_users(session, product_id=p.id or 0) for p in suite}
    try:
        with session.begin_nested():
            request = _record(session, actor, suite, offer, now)
            ledger.apply_change(
                session, account=actor.account, request_id=request.id or 0, actor_id=user_id, now=now
            )
    except IntegrityError:
        # Lost the race to the same offer (the unique key): report the winner's change.
        done = _change_of(session, account_id=actor.account_id, key=offer.key)
        if done is None:
            raise
        return _already(session, product, done)
    except NoLongerApplicable:
        session.expire_all()
        return _stale(session, product, ledger.waiting_users(session, product_id=product.id or 0))
    given = [
        user
        for p in suite
        for user in waiting_before[p.id or 0]
        if user not in ledger.waiting_users(session, product_id=p.id or 0)
    ]
    return BuyResult(
        BuyOutcome.BOUGHT,
        product,
        moved=[Moved(p.name, offer.from_seats, offer.from_seats + offer.count) for p in suite],
        suite=product.suite,
        given=list(dict.fromkeys(given)),
        request_id=request.id,
        by=user_id,
        at=now,
    )


def log_outcome(result: BuyResult, *, team_id: str, user_id: str) -> None:
    """One INFO line per purchase (and per replay answered), for whoever reads the logs."""
    moved = ",".join(m.product for m in result.moved) or result.product.name
    if result.outcome is BuyOutcome.BOUGHT:
        first = result.moved[0]
        logger.info(
            "seats bought team=%s user=%s products=%s seats=%d->%d request=%s",
            team_id,
            user_id,
            moved,
            first.before,
            first.after,
            result.request_id,
        )
    elif result.outcome is BuyOutcome.ALREADY:
        logger.info(
            "buy replayed team=%s user=%s products=%s request=%s by=%s",
            team_id,
            user_id,
            moved,
            result.request_id,
            result.by,
        )
    else:
        logger.info(
            "buy refused stale team=%s user=%s product=%s seats=%d",
            team_id,
            user_id,
            result.product.key,
            result.product.seats,
        )


def _check_offer(session: Session, actor: Actor, product: Product, offer: BuyOffer) -> None:
    """The button's value is untrusted: it must name an offer seatbot made, on this account's product."""
    sane = 0 < offer.count <= MAX_BUY and 0 <= offer.from_seats <= MAX_SEATS
    origin: PendingAssignment | SeatAlert | None = None
    if offer.origin_kind == WAITING:
        origin = session.get(PendingAssignment, offer.origin_id)
    elif offer.origin_kind == ALERT:
        origin = session.get(SeatAlert, offer.origin_id)
    if not sane or origin is None or origin.account_id != actor.account_id or origin.product_id != product.id:
        raise InvalidInput("bad_offer")
    if offer.from_seats + offer.count > MAX_SEATS:
        raise InvalidInput("too_many", max=MAX_SEATS)


def _lock_suite(session: Session, actor: Actor, product: Product) -> list[Product]:
    """The product and, if it is in a suite, every product of the suite (ref: one seat
    count per suite), locked in id order and read afresh."""
    query = select(Product).where(Product.account_id == actor.account_id)
    if product.suite:
        query = query.where(Product.suite == product.suite)
    else:
        query = query.where(Product.id == product.id)
    query = query.order_by(col(Product.position), col(Product.id))
    locked = session.exec(query.with_for_update().execution_options(populate_existing=True)).all()
    return list(locked)


def _change_of(session: Session, *, account_id: int, key: str) -> ChangeRequest | None:
    return session.exec(
        select(ChangeRequest).where(
            ChangeRequest.account_id == account_id, ChangeRequest.idempotency_key == key
        )
    ).first()


def _record(
    session: Session, actor: Actor, suite: list[Product], offer: BuyOffer, now: datetime
) -> ChangeRequest:
    request = ChangeRequest(
        account_id=actor.account_id,
        requester_id=actor.user_id,
        direct=True,
        justification=JUSTIFICATION,
        created_at=now,
        updated_at=now,
        status=RequestStatus.APPLIED.value,
        decided_at=now,
        decided_by=actor.user_id,
        applied_at=now,
        idempotency_key=offer.key,
    )
    session.add(request)
    session.flush()  # the unique key is checked here
    after = offer.from_seats + offer.count
    for product in suite:
        session.add(
            ChangeRequestLine(
                request_id=request.id or 0,
                product_id=product.id or 0,
                from_seats=offer.from_seats,
                to_seats=after,
            )
        )
    session.flush()
    bought = Event(
        "change.applied_directly",
        "change_request",
        str(request.id),
        actor_id=actor.user_id,
        after={
            "lines": {p.key: [offer.from_seats, after] for p in suite},
            "justification": JUSTIFICATION,
            "offer": offer.key,
        },
    )
    record(session, account_id=actor.account_id, at=now, event=bought)
    return request


def _already(session: Session, product: Product, request: ChangeRequest) -> BuyResult:
    rows = session.exec(
        select(ChangeRequestLine, Product)
        .where(ChangeRequestLine.request_id == request.id, ChangeRequestLine.product_id == Product.id)
        .order_by(col(Product.position), col(Product.id))
    ).all()
    return BuyResult(
        BuyOutcome.ALREADY,
        product,
        moved=[Moved(p.name, line.from_seats, line.to_seats) for line, p in rows],
        suite=product.suite,
        request_id=request.id,
        by=request.decided_by,
        at=request.decided_at,
    )


def _stale(session: Session, product: Product, waiting: list[str]) -> BuyResult:
    """Nothing bought; a fresh offer at today's count if people still wait."""
    session.refresh(product)
    offer = None
    first = session.exec(
        select(PendingAssignment.id)
        .where(
            PendingAssignment.product_id == product.id,
            col(PendingAssignment.user_id).in_(waiting),
            PendingAssignment.status == WaitingStatus.WAITING.value,
        )
        .order_by(col(PendingAssignment.created_at), col(PendingAssignment.id))
    ).first()
    if waiting and first is not None:
        offer = BuyOffer(product.key, product.seats, len(waiting), f"{WAITING}{first}")
    return BuyResult(BuyOutcome.STALE, product, suite=product.suite, waiting=len(waiting), offer=offer)
