"""The out-of-licences check over a big account, measured in-process.

``bot.services.alerts.evaluate`` over every product of the alerts workspace
(loaded by ``seatbot load`` beforehand), in one unit of work against the
benchmark's database: wall time and SQL statements, counted with the same
``before_cursor_execute`` hook as the probe. Run twice: the first pass opens an
alert for every full product, the second finds them open (the steady state).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlmodel import select

from benchmarks.setup_data import ALERTS_TEAM
from bot.deps import utcnow
from bot.services import alerts
from storage import repositories as repo
from storage.engine import make_engine, unit_of_work
from storage.models import Account, SeatAssignment


def measure(database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        with unit_of_work(engine) as session:
            account = session.exec(select(Account).where(Account.team_id == ALERTS_TEAM)).one()
            product_ids = [p.id or 0 for p in repo.products(session, account_id=account.id or 0)]
            agents = len(
                session.exec(select(SeatAssignment.id).where(SeatAssignment.account_id == account.id)).all()
            )
        passes = []
        for label in ("first", "steady"):
            statements = 0
            started = time.perf_counter()
            with unit_of_work(engine, write=True) as session:
                account = session.exec(select(Account).where(Account.team_id == ALERTS_TEAM)).one()
                alerts.evaluate(session, account=account, product_ids=product_ids, rising=True, now=utcnow())
            passes.append(
                {"pass": label, "ms": round((time.perf_counter() - started) * 1000, 1), "sql": statements}
            )
    finally:
        engine.dispose()
    return {"products": len(product_ids), "agents": agents, "passes": passes}


def scheduler_pass(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
    """One pass of the scheduler (nudges, escalations, expiry, delivery retries) over many
    pending requests: time and SQL statements.

    Not implemented yet: the scheduler is being changed; the integrator fills this in
    once that change lands.
    """
    print("scheduler pass: measured after the scheduler change lands")
    return None
