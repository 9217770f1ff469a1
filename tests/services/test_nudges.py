"""Nudges, escalation and expiry on a fake clock: each step happens once, on time."""

from __future__ import annotations

import shutil
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text, update
from sqlmodel import Session, select

from bot.runtime.jobs import run_nudge_pass
from bot.services.seat_changes import Submission, submit
from storage.engine import make_engine, unit_of_work
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
    real_nudged = nudges._nudged

    def broken_for_the_first(*args: object) -> object:
        due = args[1]
        assert isinstance(due, nudges.Due)
        if due.id == 1:
            raise RuntimeError("a broken request")
        return real_nudged(*args)  # type: ignore[arg-type]

    # Breaks the batch both requests are in, then request 1 alone when they are taken one by one.
    monkeypatch.setattr(nudges, "_nudged", broken_for_the_first)
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
    assert _run(engine, 24 * HOUR) == ([], [], [])  # request 1 failed again; 2 is not nudged twice


def _admins(n: int) -> list[str]:
    return [f"U0ADM{i:03d}" for i in range(n)]


def _many_requests(engine: Engine, n: int, policy: dict[str, object] | None = None) -> None:
    """`n` pending requests, one per admin, sent at NOW; then the first admin becomes a
    billing admin, an approver of their own request (a reminder never goes to who asked)."""
    from tests.factories import account_data

    policy_ = {"policy": policy} if policy else {}
    make_account(engine, now=NOW, roles={**account_data()["roles"], "admins": _admins(n)}, **policy_)
    for user in _admins(n):
        _submit(engine, user_id=user)
    roles = {"owner": "U0OWNER", "billing_admins": ["U0BILL", _admins(n)[0]], "admins": _admins(n)[1:]}
    make_account(engine, now=NOW, roles=roles, **policy_)


def _history(engine: Engine) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every audit event and outbox row, without their ids."""
    with Session(engine) as session:
        events = [
            (e.account_id, e.at, e.actor_id, e.action, e.subject_type, e.subject_id, e.before, e.after)
            for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))  # type: ignore[arg-type]
        ]
        rows = [
            (
                *(m.account_id, m.request_id, m.kind, m.action, m.recipient, m.params, m.dedupe_key),
                *(m.status, m.slack_message_id, m.next_attempt_at, m.created_at),
            )
            for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))  # type: ignore[arg-type]
        ]
        requests = [
            (r.id, r.status, r.nudge_count, r.last_nudged_at, r.escalated_at, r.decided_at, r.next_due_at)
            for r in session.exec(select(ChangeRequest).order_by(ChangeRequest.id))  # type: ignore[arg-type]
        ]
        # As stored: a JSON null and an SQL NULL read back alike.
        nulls = list(session.execute(text("SELECT params IS NULL FROM outbox ORDER BY id")).scalars())
        nulls += session.execute(text('SELECT "before" IS NULL FROM audit_event ORDER BY id')).scalars()
    return events + requests + nulls, rows  # type: ignore[operator]


POLICY = {"nudge_after": "1h", "nudge_every": "1h", "max_nudges": 2, "expire_after": "5h"}
TIMES = [HOUR, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR, 5 * HOUR, 6 * HOUR]


def _broken_batch(*_: object, **__: object) -> object:
    raise RuntimeError("no batch today")


def _fresh(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> Engine:
    """A second, empty database of the same kind."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "second.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return make_engine(f"sqlite:///{path}")
    engine = make_engine(db_url)
    with engine.begin() as connection:  # as the db_url fixture does (the audit table refuses DELETE)
        tables = connection.execute(
            text(
                "SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).scalars()
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    return engine


def test_a_batch_records_what_one_request_at_a_time_would(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole timeline of several requests, taken in set-based batches, leaves the same audit
    events, messages and due times as when each request is taken on its own (`run_step`)."""
    from bot.runtime import jobs

    _many_requests(engine, 4, POLICY)
    batched = [_run(engine, at) for at in TIMES]
    assert batched[0] == ([1, 2, 3, 4], [], [])
    assert batched[2] == ([1, 2, 3, 4], [], [])
    assert batched[3] == ([], [1, 2, 3, 4], [])
    assert batched[5] == ([], [], [1, 2, 3, 4])
    history = _history(engine)
    reminded = {(row[1], row[4]) for row in history[1] if row[2] == "nudge"}
    assert reminded == {
        (r, a) for r in (1, 2, 3, 4) for a in ("U0OWNER", "U0BILL", "U0ADM000") if r != 1 or a != "U0ADM000"
    }

    monkeypatch.setattr(jobs, "take_steps", _broken_batch)
    one_by_one = _fresh(request, db_url, tmp_path)
    try:
        _many_requests(one_by_one, 4, POLICY)
        assert [_run(one_by_one, at) for at in TIMES] == batched
        assert _history(one_by_one) == history
    finally:
        one_by_one.dispose()


def _statements(engine: Engine, at: timedelta) -> int:
    count = 0

    def counted(*_: object) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        run_nudge_pass(engine, now=NOW + at)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count


def test_a_pass_costs_the_same_statements_for_5_or_50_due_requests(
    engine: Engine, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    _many_requests(engine, 5, POLICY)
    few = [_statements(engine, at) for at in TIMES]
    many_engine = _fresh(request, db_url, tmp_path)
    try:
        _many_requests(many_engine, 50, POLICY)
        many = [_statements(many_engine, at) for at in TIMES]
        assert _run(many_engine, 7 * HOUR) == ([], [], [])
        with Session(many_engine) as session:
            assert set(session.exec(select(ChangeRequest.status))) == {"expired"}
    finally:
        many_engine.dispose()
    assert few == many  # reminders, escalations, expiries: a few statements a batch, not a request
    assert max(few) <= 20


def test_a_pass_takes_every_due_request_batch_after_batch(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.runtime import jobs

    monkeypatch.setattr(jobs, "BATCH", 3)
    _many_requests(engine, 7, POLICY)
    assert _run(engine, HOUR) == ([1, 2, 3, 4, 5, 6, 7], [], [])
    assert len(_outbox(engine, "nudge")) == 7 * 3 - 1


def test_requests_with_nothing_to_do_get_their_due_time_moved(engine: Engine) -> None:
    from bot.services.nudges import due_requests

    _many_requests(engine, 3, POLICY)
    with unit_of_work(engine, write=True) as session:  # due too early (a policy loaded, then put back)
        session.exec(update(ChangeRequest).values(next_due_at=NOW + 30 * timedelta(minutes=1)))  # type: ignore[call-overload]
    assert _run(engine, 30 * timedelta(minutes=1)) == ([], [], [])
    assert {_due(engine, r) for r in (1, 2, 3)} == {NOW + HOUR}
    with Session(engine) as session:
        assert due_requests(session, now=NOW + 30 * timedelta(minutes=1)) == []
    assert _run(engine, HOUR) == ([1, 2, 3], [], [])


def test_requests_of_a_workspace_without_seatbot_wait_untouched(engine: Engine) -> None:
    from storage.models import Account

    _many_requests(engine, 2, POLICY)
    with unit_of_work(engine, write=True) as session:
        session.exec(update(Account).values(uninstalled_at=NOW))  # type: ignore[call-overload]
    assert _run(engine, 2 * HOUR) == ([], [], [])
    assert _outbox(engine, "nudge") == []
    with unit_of_work(engine, write=True) as session:  # installed again: the reminders resume
        session.exec(update(Account).values(uninstalled_at=None))  # type: ignore[call-overload]
    assert _run(engine, 2 * HOUR) == ([1, 2], [], [])


def _at_once(engine: Engine, at: timedelta, replicas: int) -> list[tuple[list[int], list[int], list[int]]]:
    """`replicas` passes at the same moment, as replicas' schedulers would run them."""
    barrier = threading.Barrier(replicas)
    results: list[tuple[list[int], list[int], list[int]]] = []

    def replica() -> None:
        barrier.wait()
        results.append(_run(engine, at))

    threads = [threading.Thread(target=replica) for _ in range(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_replicas_running_at_once_take_each_step_of_many_requests_once(engine: Engine, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent writers: meaningful on PostgreSQL (SQLite serialises them)")
    _many_requests(engine, 40, POLICY)
    for at, step in ((HOUR, 0), (2 * HOUR, 0), (3 * HOUR, 1), (5 * HOUR, 2)):
        results = _at_once(engine, at, replicas=4)
        assert len(results) == 4, at
        taken = sorted(r for result in results for r in result[step])
        assert taken == list(range(1, 41)), at
    assert len(_outbox(engine, "nudge")) == 2 * (40 * 3 - 1)
    assert len(_outbox(engine, "escalation")) == 40
    assert len(_outbox(engine, "outcome")) == 40
    with Session(engine) as session:
        actions = list(session.exec(select(AuditEvent.action)))
    counts = [actions.count(a) for a in ("request.nudged", "request.escalated", "request.expired")]
    assert counts == [80, 40, 40]
