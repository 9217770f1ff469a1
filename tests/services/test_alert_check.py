"""The out-of-licences check reads the products, their usage, their open alerts and
the alerts' messages once each, whether one product changed or forty."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session, select

from bot.services.ledger import alerts
from bot.services.outbox import Kind
from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import Account, OutboxMessage, SeatAlert, SlackMessage
from tests.conftest import NOW
from tests.factories import TEAM, make_account

READS = re.compile(r"^\s*SELECT\b.*\bFROM (product|seat_assignment|seat_alert|slack_message)\b", re.S | re.I)


def _full_account(engine: Engine, products: int) -> None:
    """`products` products of 2 seats, each full."""
    make_account(
        engine,
        now=NOW,
        products=[
            {"key": f"p{i:02d}", "name": f"Product {i}", "edition": "Team", "seats": 2}
            for i in range(products)
        ],
        agents=[{"user": f"U0AG{n:04d}", "product": f"p{n // 2:02d}"} for n in range(products * 2)],
    )


@pytest.fixture
def reads(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if READS.match(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("products", [1, 40])
def test_the_check_reads_once_per_table_however_many_products(
    engine: Engine, reads: list[str], products: int
) -> None:
    _full_account(engine, products)
    for label in ("opens", "steady"):
        with unit_of_work(engine, write=True) as session:
            account = session.exec(select(Account).where(Account.team_id == TEAM)).one()
            ids = [p.id or 0 for p in repo.products(session, account_id=account.id or 0)]
            reads.clear()
            alerts.evaluate(session, account=account, product_ids=ids, rising=True, now=NOW)
            assert len(reads) <= 4, (label, reads)
    with unit_of_work(engine) as session:
        opened = session.exec(select(SeatAlert).where(SeatAlert.closed_at == None)).all()  # noqa: E711
    assert len(opened) == products  # every full product has its one episode


def test_a_change_while_the_alert_is_being_recorded_as_posted_rewrites_it(
    engine: Engine, db_url: str
) -> None:
    """The sender records an alert's post, then checks with the alert locked whether it
    changed since it was drawn. A change (someone starts waiting) that comes in meanwhile
    waits for that lock, then finds the post and queues its rewrite: the message never
    keeps showing the old figures."""
    if not db_url.startswith("postgresql"):
        pytest.skip("this race is about PostgreSQL row locks; SQLite serialises writers")
    _full_account(engine, 1)
    with unit_of_work(engine, write=True) as session:
        account = session.exec(select(Account).where(Account.team_id == TEAM)).one()
        product_id = repo.products(session, account_id=account.id or 0)[0].id or 0
        alerts.evaluate(session, account=account, product_ids=[product_id], rising=True, now=NOW)
    with unit_of_work(engine) as session:
        alert = session.exec(select(SeatAlert)).one()
    drawn = alert.revision

    changed = threading.Event()

    def someone_starts_waiting() -> None:
        with unit_of_work(engine, write=True) as session:
            account = session.get(Account, alert.account_id)
            assert account is not None
            alerts.refresh_open(session, account=account, product_id=product_id, now=NOW)
        changed.set()

    recording = Session(engine)  # the sender, recording its post
    try:
        copy = SlackMessage(
            account_id=alert.account_id,
            alert_id=alert.id,
            purpose="alert",
            channel="C0ALERTS",
            ts="1.000001",
            created_at=NOW,
            updated_at=NOW,
        )
        recording.add(copy)
        recording.flush()
        copy_id = copy.id
        locked = recording.exec(
            select(SeatAlert.revision).where(SeatAlert.id == alert.id).with_for_update()
        ).one()
        assert locked == drawn  # as drawn: the sender queues nothing
        change = threading.Thread(target=someone_starts_waiting)
        change.start()
        _wait_until_blocked(engine)
        recording.commit()
    finally:
        recording.close()
    change.join(10)
    assert changed.is_set()
    with unit_of_work(engine) as session:
        rewrites = session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == Kind.ALERT_REFRESH.value)
        ).all()
    assert [row.slack_message_id for row in rewrites] == [copy_id]


def _wait_until_blocked(engine: Engine) -> None:
    """Until another connection of this database waits for a row lock (bounded)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        with engine.connect() as connection:
            if connection.execute(waiting).scalar_one():
                return
        threading.Event().wait(0.01)
    raise AssertionError("the change never waited for the alert's lock")
