"""Nudges, escalation and expiry on a fake clock: each step happens once, on time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.runtime.jobs import run_nudge_pass
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


SECOND = timedelta(seconds=1)
SHORT = {"nudge_after": "3s", "nudge_every": "3s", "max_nudges": 2, "expire_after": "30s"}


def _due(engine: Engine, request_id: int = 1) -> object:
    with Session(engine) as session:
        request = session.get(ChangeRequest, request_id)
        assert request is not None
        return request.next_due_at


def _submit(engine: Engine, user_id: str = "U0ADMIN", counts: dict[str, str | None] | None = None) -> None:
    with unit_of_work(engine, write=True) as session:
        submit(
            session,
            team_id=TEAM,
            user_id=user_id,
            submission=Submission(counts=counts or {"support": "12"}, justification="x"),
            now=NOW,
        )


def test_a_short_policy_gets_its_reminders_and_escalation_before_expiry(engine: Engine) -> None:
    make_account(engine, now=NOW, policy=SHORT)
    _submit(engine)
    # Each pass takes the step due and says when the next one is: a loop sleeping until
    # then acts within seconds, whatever the policy.
    timeline = [
        (2 * SECOND, ([], [], []), NOW + 3 * SECOND),
        (3 * SECOND, ([1], [], []), NOW + 6 * SECOND),  # first reminder
        (6 * SECOND, ([1], [], []), NOW + 9 * SECOND),  # second and last reminder
        (9 * SECOND, ([], [1], []), NOW + 30 * SECOND),  # escalated; only the expiry is left
        (29 * SECOND, ([], [], []), NOW + 30 * SECOND),
        (30 * SECOND, ([], [], [1]), None),  # expired: nothing more to do
    ]
    assert _due(engine) == NOW + 3 * SECOND  # set when the request is created
    for at, steps, next_due in timeline:
        assert _run(engine, at) == steps, at
        assert _due(engine) == next_due, at
    assert len(_outbox(engine, "nudge")) == 4  # two reminders, to each of the two approvers
    assert [m.recipient for m in _outbox(engine, "escalation")] == ["C0ALERTS"]


def test_a_pass_reads_only_what_is_due(engine: Engine, request_sent: None) -> None:
    from bot.services.nudges import due_requests, next_wake

    with Session(engine) as session:
        assert due_requests(session, now=NOW + 23 * HOUR) == []
        assert due_requests(session, now=NOW + 24 * HOUR) == [1]
        assert next_wake(session) == NOW + 24 * HOUR


def test_one_failing_request_does_not_stop_the_others(
    engine: Engine, request_sent: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import nudges
    from tests.factories import account_data

    make_account(
        engine, now=NOW, roles={**account_data()["roles"], "admins": ["U0ADMIN", "U0AG1"]}
    )  # a second admin, with a request of their own
    _submit(engine, user_id="U0AG1", counts={"guide": "6"})
    real_nudge = nudges._nudge

    def broken_for_the_first(*args: object) -> bool:
        request = args[2]
        assert isinstance(request, ChangeRequest)
        if request.id == 1:
            raise RuntimeError("a broken request")
        return real_nudge(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(nudges, "_nudge", broken_for_the_first)
    from bot.runtime.jobs import run_nudge_pass

    run = run_nudge_pass(engine, now=NOW + 24 * HOUR)
    assert (run.nudged, run.failed) == ([2], [1])
    with Session(engine) as session:
        first, second = session.get(ChangeRequest, 1), session.get(ChangeRequest, 2)
        assert first is not None
        assert second is not None
        assert (first.nudge_count, first.next_due_at) == (0, NOW + 24 * HOUR)  # rolled back, still due
        assert (second.nudge_count, second.next_due_at) == (1, NOW + 48 * HOUR)  # committed
    assert {m.request_id for m in _outbox(engine, "nudge")} == {2}


def test_closing_a_request_cancels_its_unsent_reminders(engine: Engine, request_sent: None) -> None:
    from bot.services.decisions import decide

    assert _run(engine, 24 * HOUR) == ([1], [], [])  # queued; not sent (no sender runs here)
    with unit_of_work(engine, write=True) as session:
        decide(session, team_id=TEAM, user_id="U0OWNER", request_id=1, approve=True, reason=None, now=NOW)
    assert {m.status for m in _outbox(engine, "nudge")} == {"cancelled"}
    assert {m.status for m in _outbox(engine, "approval")} == {"pending"}  # the approvals still go out
    assert _due(engine) is None


def test_loading_a_new_policy_moves_the_due_times(engine: Engine, request_sent: None) -> None:
    assert _due(engine) == NOW + 24 * HOUR
    make_account(engine, now=NOW, policy={"nudge_after": "1h"})
    assert _due(engine) == NOW + HOUR
    make_account(engine, now=NOW, policy={"nudge_after": "2h", "expire_after": "90m"})
    assert _due(engine) == NOW + 90 * timedelta(minutes=1)  # the expiry comes first now
