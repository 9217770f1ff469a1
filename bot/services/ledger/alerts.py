"""Out-of-licences alerts: one message per episode, updated as the situation changes.

An episode opens when a product fills up (or crosses the early-warning
threshold) and closes when a seat frees up; only then can a new alert be
posted. Episodes only open or worsen on *rising* usage (an assignment, fewer
seats) and only close on *falling* usage (a seat freed, more seats), so a
product hovering at its limit does not flood the channel.

Only the ledger opens, updates and closes episodes (`evaluate`, after every
change of seats or usage); the rest of seatbot reads them (`alert_view`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from bot.domain.forecast import RunOut
from bot.services.forecasts import forget, run_outs
from bot.services.outbox import Kind
from bot.services.recording import Event, Message, record
from storage import repositories as repo
from storage.models import Account, AlertLevel, Product, SeatAlert, SlackMessage


def level_of(used: int, seats: int, threshold_pct: int | None) -> AlertLevel | None:
    if used >= seats:
        return AlertLevel.FULL
    if threshold_pct is not None and seats > 0 and used * 100 >= threshold_pct * seats:
        return AlertLevel.WARNING
    return None


def evaluate(
    session: Session, *, account: Account, product_ids: Iterable[int], rising: bool, now: datetime
) -> None:
    """Open, update or close the alert of each product after its usage changed.

    The products, their usage and their open alerts are read in one query each, however
    many products changed (a whole account's, when its file is loaded)."""
    forget(session, account.id or 0)  # its seats moved: the run-out forecasts read them afresh
    if not account.alerts_channel:
        return
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return
    products = {p.id: p for p in session.exec(select(Product).where(col(Product.id).in_(ids)))}
    used = repo.seats_in_use_of(session, product_ids=ids)
    open_alerts = {
        a.product_id: a
        for a in session.exec(
            select(SeatAlert)
            .where(col(SeatAlert.product_id).in_(ids), col(SeatAlert.closed_at).is_(None))
            .order_by(col(SeatAlert.id))
            .with_for_update()  # before reading their posts: see `_open_alert`
        )
    }
    posted = _posted(session, [a.id or 0 for a in open_alerts.values()])
    for product_id in ids:
        product = products[product_id]
        level = level_of(used.get(product_id, 0), product.seats, account.alert_threshold_pct)
        alert = open_alerts.get(product_id)
        if alert is None:
            if rising and level is not None:
                _open(session, account, product, level, now)
            continue
        shown = posted.get(alert.id or 0)
        if rising and level is AlertLevel.FULL and alert.level != AlertLevel.FULL.value:
            _change(session, account, alert, now, shown, level=AlertLevel.FULL)
        elif not rising and level != AlertLevel(alert.level):
            # A seat freed up: the episode is over (re-armed), even if still above the threshold.
            _change(session, account, alert, now, shown, close=True)
        else:
            _change(session, account, alert, now, shown)  # same level, new figures (who waits, counts)


def _posted(session: Session, alert_ids: list[int]) -> dict[int, SlackMessage]:
    """The posted message of each alert (an alert not posted yet has none)."""
    if not alert_ids:
        return {}
    query = (
        select(SlackMessage)
        .where(col(SlackMessage.alert_id).in_(alert_ids))
        .order_by(col(SlackMessage.id).desc())
    )
    return {m.alert_id or 0: m for m in session.exec(query)}  # the first posted wins


def _open_alert(session: Session, product_id: int) -> SeatAlert | None:
    """The product's current episode, if any (the database allows at most one), locked.

    Locked before its post is looked for: the sender records a post and then checks, with
    the alert locked, whether it changed since it was drawn. Either that check waits for
    this change (and sees it), or this lock waits for the post to be recorded (and this
    change rewrites it). Unlocked, a change could miss the post being recorded and the
    sender's check miss the change: the message would keep showing the old figures."""
    query = (
        select(SeatAlert)
        .where(SeatAlert.product_id == product_id, col(SeatAlert.closed_at).is_(None))
        .with_for_update()
    )
    return session.exec(query).first()


def refresh_open(session: Session, *, account: Account, product_id: int, now: datetime) -> None:
    """Redraw an open alert whose details changed (someone started waiting)."""
    alert = _open_alert(session, product_id)
    if alert is not None:
        _change(session, account, alert, now, _posted(session, [alert.id or 0]).get(alert.id or 0))


def _open(session: Session, account: Account, product: Product, level: AlertLevel, now: datetime) -> None:
    assert account.id is not None
    assert account.alerts_channel is not None
    alert = SeatAlert(
        account_id=account.id,
        product_id=product.id or 0,
        level=level.value,
        channel=account.alerts_channel,
        opened_at=now,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    record(
        session,
        account_id=account.id,
        at=now,
        event=Event("alert.opened", "product", product.key, after={"level": level.value}),
        messages=[Message(Kind.ALERT, alert.channel, f"alert:{alert.id}", alert_id=alert.id)],
    )


def _change(
    session: Session,
    account: Account,
    alert: SeatAlert,
    now: datetime,
    posted: SlackMessage | None,
    *,
    level: AlertLevel | None = None,
    close: bool = False,
) -> None:
    assert account.id is not None
    if level is not None:
        alert.level = level.value
    if close:
        alert.closed_at = now
        record(
            session, account_id=account.id, at=now, event=Event("alert.closed", "seat_alert", str(alert.id))
        )
    alert.updated_at = now
    alert.revision += 1
    session.add(alert)
    session.flush()
    if posted is None:
        return  # not posted yet: the pending post renders the state at delivery time
    refresh = Message(
        Kind.ALERT_REFRESH,
        posted.channel,
        f"refresh:{Kind.ALERT.value}:{posted.id}:{alert.revision}",
        alert_id=alert.id,
        slack_message_id=posted.id,
    )
    record(session, account_id=account.id, at=now, messages=[refresh])


@dataclass(frozen=True)
class AlertView:
    product_key: str
    product_name: str
    edition: str
    seats: int
    used: int
    level: AlertLevel
    closed_at: datetime | None
    opened_at: datetime
    waiting: list[str]
    currency: str
    alert_id: int | None = None
    price_per_seat: Decimal | None = None
    runs_out: RunOut | None = None
    """An early warning's forecast: when the product fills up at the current pace."""
    to_free: int = 0
    """A full product's seats held by people deactivated in Slack or idle: to free before buying more."""


def alert_view(session: Session, *, account_id: int, alert_id: int, now: datetime | None = None) -> AlertView:
    """The alert of this account as it is now, for whoever draws it (the post, and each refresh);
    with `now`, an open early warning carries its run-out forecast."""
    alert = session.get(SeatAlert, alert_id)
    assert alert is not None
    assert alert.account_id == account_id, f"alert {alert_id} is not of account {account_id}"
    product = session.get(Product, alert.product_id)
    account = session.get(Account, alert.account_id)
    assert product is not None
    assert account is not None
    used = repo.seats_in_use(session, product_id=product.id or 0)
    runs_out = None
    if now is not None and alert.level == AlertLevel.WARNING.value and alert.closed_at is None:
        found = run_outs(session, account=account, products=[product], used={product.id or 0: used}, now=now)
        runs_out = found.get(product.id or 0)
    to_free = 0
    if now is not None and alert.level == AlertLevel.FULL.value and alert.closed_at is None:
        to_free = repo.seats_to_free(
            session, product_id=product.id or 0, idle_before=now - timedelta(seconds=account.idle_after_s)
        )
    return AlertView(
        product_key=product.key,
        product_name=product.name,
        edition=product.edition,
        seats=product.seats,
        used=used,
        level=AlertLevel(alert.level),
        closed_at=alert.closed_at,
        opened_at=alert.opened_at,
        waiting=[w.user_id for w in repo.waiting(session, product_id=product.id or 0)],
        currency=account.currency,
        alert_id=alert.id,
        price_per_seat=product.price_per_seat,
        runs_out=runs_out,
        to_free=to_free,
    )
