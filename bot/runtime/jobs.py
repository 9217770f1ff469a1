"""Scheduled work: reminders, escalations and expiry of requests nobody answers, and
the delivery of what they (and everything else) queue.

Nothing ticks on a fixed period. APScheduler runs a pass, and the pass sets
the job's next run to the earliest `change_request.next_due_at` (at most
MAX_WAIT away, so work another replica scheduled is found soon), so a step
happens within seconds of being due whatever the policy. The sender has its own loop of the same kind
(`bot.delivery.sender`).

Each pass reads the clock once and passes it down. It takes every due step, in
batches of BATCH requests, each batch one transaction of a few set-based statements
(`bot.services.nudges.take_steps`). If a batch fails, its requests are taken again
each in its own short transaction: one failing request is logged with its traceback
and skipped, the others go on. Replicas may run passes at once: every step is
a conditional update, taken exactly once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from bot.runtime import metrics
from bot.runtime.deps import Deps
from bot.services.nudges import NudgeRun, lock_due, next_wake, run_step, take_steps
from storage.engine import unit_of_work

logger = logging.getLogger(__name__)

MAX_WAIT = 5.0
"""Longest sleep between scheduler passes (seconds)."""
MIN_WAIT = 0.2
"""Shortest: a request still due after a pass (it failed) is not retried in a busy loop."""
BATCH = 1000
"""Requests a transaction takes at most: bounds how long a batch holds their rows (and
SQLite's write lock, about a tenth of a second for a full batch) and its statements'
sizes; a pass goes on batch after batch. A batch costs about six statements whatever
its size, so fewer, larger batches spend less time in the database."""


def run_nudge_pass(engine: Engine, *, now: datetime) -> NudgeRun:
    """Take every step that is due at `now`, a batch of requests per transaction."""
    run = NudgeRun()
    taken: set[int] = set()
    while True:
        batch: list[int] = []
        try:
            with unit_of_work(engine, write=True) as session:
                due = lock_due(session, now=now, limit=BATCH, skip=run.failed)
                batch = [d.id for d, _ in due]
                if not batch:
                    break
                done = take_steps(session, due, now=now)
        except Exception as exc:
            if not batch or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
                raise  # nothing read, or the database is away: the pass fails, as a whole
            logger.warning("scheduler batch failed, taking its requests one at a time", exc_info=True)
            done = _one_at_a_time(engine, batch, now=now)
        run.nudged += done.nudged
        run.escalated += done.escalated
        run.expired += done.expired
        run.failed += done.failed
        if len(batch) < BATCH or taken.issuperset(batch):
            break  # all read; or only requests this pass already took (left due): the next pass
        taken.update(batch)
    if run.nudged or run.escalated or run.expired:
        logger.info("nudges nudged=%s escalated=%s expired=%s", run.nudged, run.escalated, run.expired)
    return run


def _one_at_a_time(engine: Engine, ids: list[int], *, now: datetime) -> NudgeRun:
    run = NudgeRun()
    for request_id in ids:
        try:
            with unit_of_work(engine, write=True) as session:
                run.record(request_id, run_step(session, request_id=request_id, now=now))
        except Exception:
            logger.exception("scheduled step failed request=%s", request_id)
            run.failed.append(request_id)
    return run


def run_nudge_job(deps: Deps) -> NudgeRun:
    """One pass at the deps' clock, then a synchronous delivery of what it queued (tests, CLI)."""
    now = deps.clock()
    run = run_nudge_pass(deps.engine, now=now)
    deps.sender.deliver_due(now=now)
    return run


class Scheduler:
    """Runs nudge passes on APScheduler, each pass choosing when the next one runs."""

    JOB_ID = "reminders"

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._aps = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        )
        self._database_away = False

    def start(self) -> Scheduler:
        self._aps.add_job(
            self._pass,
            "interval",
            seconds=MAX_WAIT,  # the bound; each pass brings the next run forward to what is due
            id=self.JOB_ID,
            name=self.JOB_ID,
            next_run_time=datetime.now(UTC),
        )
        self._aps.start()
        return self

    def _pass(self) -> None:
        try:
            now = self._deps.clock()
            with metrics.PASS_SECONDS.time():
                run = run_nudge_pass(self._deps.engine, now=now)
            for step, done in (
                ("reminder", run.nudged),
                ("escalation", run.escalated),
                ("expiry", run.expired),
            ):
                metrics.SCHEDULED.labels(step=step).inc(len(done))
            if run.nudged or run.escalated or run.expired:
                self._deps.deliver()
            wait = MAX_WAIT if run.failed else self._wait(now)
            self._database_away = False
        except OperationalError as exc:
            # The database is away (restart, failover): one line when it goes, not a traceback a pass.
            if not self._database_away:
                self._database_away = True
                logger.warning("reminders paused: database unreachable error=%s", exc.orig)
            wait = MAX_WAIT
        except Exception:
            logger.exception("scheduler pass failed")
            wait = MAX_WAIT
        if self._aps.running:
            self._aps.modify_job(self.JOB_ID, next_run_time=datetime.now(UTC) + timedelta(seconds=wait))

    def _wait(self, now: datetime) -> float:
        with unit_of_work(self._deps.engine) as session:
            due = next_wake(session)
        if due is None:
            return MAX_WAIT
        return max(MIN_WAIT, min(MAX_WAIT, (due - now).total_seconds()))

    def close(self, timeout: float = 30.0) -> None:
        """Stop after the pass under way, if any (`timeout` 0: don't wait for it)."""
        if self._aps.running:
            self._aps.shutdown(wait=timeout > 0)


class Jobs:
    """What `start_jobs` started: the scheduler and the sender's loop."""

    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self.scheduler = Scheduler(deps)

    def start(self) -> Jobs:
        self._deps.deliver()  # right away: a restart resumes deliveries at once
        self.scheduler.start()
        return self

    def shutdown(self, wait: bool = True) -> None:
        self.scheduler.close(timeout=30.0 if wait else 0.0)
        self._deps.sender.close(timeout=30.0 if wait else 0.0)


def start_jobs(app: App, *, deps: Deps | None = None) -> Jobs:
    """Start the scheduler and the sender beside the app (daemon threads: they stop with the process)."""
    return Jobs(deps or app_deps(app)).start()


def app_deps(app: App) -> Deps:
    deps = getattr(app, "_seatbot_deps", None)
    assert isinstance(deps, Deps), "create_app() attaches the dependencies"
    return deps
