"""Requests racing for the last of a standing allowance: the database lets one through."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from bot.services.seat_changes import Submission, submit
from storage.engine import unit_of_work
from tests.conftest import NOW
from tests.factories import BASE, TEAM, make_account

ADMINS = [f"U0ADM{i:02d}" for i in range(6)]


def test_racing_requests_share_the_last_of_the_allowance_once(engine: Engine, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent writers: meaningful on PostgreSQL (SQLite serialises them)")
    products = [dict(p) for p in BASE["products"]]
    products[0]["allowance"] = {"seats_per_month": 2}
    make_account(
        engine, now=NOW - timedelta(days=60), products=products, roles={**BASE["roles"], "admins": ADMINS}
    )
    barrier = threading.Barrier(len(ADMINS))
    failures: list[BaseException] = []

    def ask(admin: str) -> None:
        try:
            barrier.wait()
            with unit_of_work(engine, write=True) as session:
                submit(
                    session,
                    team_id=TEAM,
                    user_id=admin,
                    submission=Submission(counts={"support": "12"}, justification="hires"),
                    now=NOW,
                )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=ask, args=(admin,)) for admin in ADMINS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as connection:
        statuses = sorted(r[0] for r in connection.execute(text("SELECT status FROM change_request")))
        assert statuses == ["applied"] + ["pending"] * 5
        assert connection.execute(text("SELECT seats FROM allowance_use")).scalar_one() == 2
        assert connection.execute(text("SELECT seats FROM product WHERE key = 'support'")).scalar_one() == 12
        auto = "SELECT count(*) FROM audit_event WHERE action = 'request.auto_approved'"
        assert connection.execute(text(auto)).scalar_one() == 1
