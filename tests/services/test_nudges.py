"""Nudges, escalation and expiry on a fake clock: each step happens once, on time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.jobs import run_nudge_pass
from bot.services.seat_changes import Submission, submit
from storage.engine import unit_of_work
from storage.models import AuditEvent, ChangeRequest, OutboxMessage
from tests.conftest import NOW
from tests.factories import TEAM, make_account

HOUR = timedelta(hours=1)


@pytest.fixture
def request_sent(engine: Engine) -> None:
    make_account(engine, now=NOW)  # defaults: nudge after 24h, every 24h, 3 times, expire after 14d
    with unit_of_work(engine, write=True) as session:
        submit(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts={"support": "12"}, justification="x"),
            now=NOW,
        )


def _run(engine: Engine, at: timedelta) -> tuple[list[int], list[int], list[int]]:
    run = run_nudge_pass(engine, now=NOW + at)
    return run.nudged, run.escalated, run.expired


def _outbox(engine: Engine, kind: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.kind == kind)).all())


def test_the_whole_timeline(engine: Engine, request_sent: None) -> None:
    assert _run(engine, 23 * HOUR) == ([], [], [])  # too early
    assert _run(engine, 24 * HOUR) == ([1], [], [])  # first nudge
    assert _run(engine, 24 * HOUR) == ([], [], [])  # the same moment again: nothing twice
    assert {m.recipient for m in _outbox(engine, "nudge")} == {"U0OWNER", "U0BILL"}
    assert _run(engine, 47 * HOUR) == ([], [], [])
    assert _run(engine, 48 * HOUR) == ([1], [], [])
    assert _run(engine, 72 * HOUR) == ([1], [], [])  # third and last nudge
    assert len(_outbox(engine, "nudge")) == 6
    assert _run(engine, 95 * HOUR) == ([], [], [])
    assert _run(engine, 96 * HOUR) == ([], [1], [])  # escalated to the alerts channel
    assert _run(engine, 200 * HOUR) == ([], [], [])  # once
    assert [m.recipient for m in _outbox(engine, "escalation")] == ["C0ALERTS"]
    assert _run(engine, 14 * 24 * HOUR) == ([], [], [1])  # expired
    with Session(engine) as session:
        request = session.exec(select(ChangeRequest)).one()
        assert (request.status, request.nudge_count, request.decided_by) == ("expired", 3, None)
        actions = [
            e.action for e in session.exec(select(AuditEvent).where(AuditEvent.action.startswith("request.")))
        ]
    assert actions == [
        "request.created",
        "request.nudged",
        "request.nudged",
        "request.nudged",
        "request.escalated",
        "request.expired",
    ]
    assert [m.recipient for m in _outbox(engine, "outcome")] == ["U0ADMIN"]
    assert _run(engine, 15 * 24 * HOUR) == ([], [], [])


def test_decided_requests_are_left_alone(engine: Engine, request_sent: None) -> None:
    from bot.services.decisions import decide

    with unit_of_work(engine, write=True) as session:
        decide(session, team_id=TEAM, user_id="U0OWNER", request_id=1, approve=False, reason=None, now=NOW)
    assert _run(engine, 30 * 24 * HOUR) == ([], [], [])


def test_policy_comes_from_the_account(engine: Engine) -> None:
    make_account(
        engine,
        now=NOW,
        policy={"nudge_after": "2h", "nudge_every": "1h", "max_nudges": 1, "expire_after": "1d"},
    )
    with unit_of_work(engine, write=True) as session:
        submit(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts={"guide": "6"}, justification="x"),
            now=NOW,
        )
    assert _run(engine, 2 * HOUR) == ([1], [], [])
    assert _run(engine, 3 * HOUR) == ([], [1], [])
    assert _run(engine, 24 * HOUR) == ([], [], [1])


def test_replicas_running_at_once_nudge_once(engine: Engine, request_sent: None, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent writers: meaningful on PostgreSQL (SQLite serialises them)")
    barrier = threading.Barrier(6)
    results: list[list[int]] = []

    def replica() -> None:
        barrier.wait()
        results.append(_run(engine, 24 * HOUR)[0])

    threads = [threading.Thread(target=replica) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [[]] * 5 + [[1]]
    assert len(_outbox(engine, "nudge")) == 2
