"""The out-of-licences check reads the products, their usage, their open alerts and
the alerts' messages once each, whether one product changed or forty."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import select

from bot.services.ledger import alerts
from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import Account, SeatAlert
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
