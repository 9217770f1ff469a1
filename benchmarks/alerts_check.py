"""The out-of-licences check over a big account, measured in-process.

``bot.services.ledger.alerts.evaluate`` over every product of the alerts workspace
(loaded by ``seatbot load`` beforehand), in one unit of work against the
benchmark's database: wall time and SQL statements, counted with the same
``before_cursor_execute`` hook as the probe. Run twice: the first pass opens an
alert for every full product, the second finds them open (the steady state).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import event, insert
from sqlmodel import select

from benchmarks.setup_data import ALERTS_TEAM
from bot.domain.clock import utcnow
from bot.runtime.jobs import run_nudge_pass
from bot.services.ledger import alerts
from storage import repositories as repo
from storage.engine import make_engine, unit_of_work
from storage.models import Account, ChangeRequest, RequestStatus, SeatAssignment


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


def scheduler_pass(database_url: str, *, stored: int = 100_000, due: int = 1_000) -> dict[str, Any]:
    """One scheduler pass over a history of `stored` requests of which `due` are pending and
    due: wall time, SQL statements and database time (the time spent inside statements).

    The history is written straight into the alerts workspace: closed requests, plus `due`
    pending ones (one per requester, as the database insists), due now and sent 30 days ago:
    past the default 14-day expiry, so the pass expires them (the step that writes the most:
    the close, its reminders cancelled, the audit event and the requester's outcome message).
    One pass takes every due request, batch after batch.
    """
    engine = make_engine(database_url)
    now = utcnow()
    with unit_of_work(engine, write=True) as session:
        account = session.exec(select(Account).where(Account.team_id == ALERTS_TEAM)).one()
        old = now - timedelta(days=30)
        rows = [
            {
                "account_id": account.id,
                "requester_id": f"U0H{i:07d}",
                "direct": False,
                "justification": "",
                "status": RequestStatus.PENDING.value if i < due else RequestStatus.DECLINED.value,
                "created_at": old,
                "updated_at": old,
                "decided_at": None if i < due else old,
                "decided_by": None if i < due else "U0OWNER",
                "nudge_count": 0,
                "next_due_at": now - timedelta(minutes=1) if i < due else None,
            }
            for i in range(stored)
        ]
        for start in range(0, len(rows), 5_000):
            session.execute(insert(ChangeRequest), rows[start : start + 5_000])
    statements = 0
    database_s = 0.0
    began: list[float] = []

    def before(*_: Any) -> None:
        nonlocal statements
        statements += 1
        began.append(time.perf_counter())

    def after(*_: Any) -> None:
        nonlocal database_s
        database_s += time.perf_counter() - began.pop()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        run = run_nudge_pass(engine, now=now)
        wall_ms = (time.perf_counter() - started) * 1000
    finally:
        engine.dispose()
    return {
        "stored": stored,
        "due": due,
        "handled": len(run.nudged) + len(run.escalated) + len(run.expired),
        "failed": len(run.failed),
        "ms": round(wall_ms, 1),
        "database_ms": round(database_s * 1000, 1),
        "sql": statements,
    }
