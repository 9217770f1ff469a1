"""Scheduled jobs (APScheduler): retrying undelivered messages; nudging,
escalating and expiring requests nobody answers.

Each run reads the clock once and passes it down; a failing run is logged
with its traceback and the next run tries again. Jobs are safe to run in
several replicas at once: outbox rows are claimed with a conditional update.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App

from bot.deps import Deps

logger = logging.getLogger(__name__)

DELIVERY_INTERVAL_SECONDS = 30
NUDGE_INTERVAL_SECONDS = 60


def run_logged(name: str, job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:
            logger.exception("job failed job=%s", name)

    return run


def start_jobs(app: App, *, deps: Deps | None = None) -> BackgroundScheduler:
    """Start the scheduler beside the app; it stops with the process."""
    deps = deps or app_deps(app)
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(
        run_logged("deliver", lambda: deps.sender.deliver_due(now=deps.clock())),
        "interval",
        seconds=DELIVERY_INTERVAL_SECONDS,
        id="deliver",
        next_run_time=deps.clock(),  # right away: a restart resumes deliveries at once
    )
    scheduler.add_job(
        run_logged("nudges", lambda: run_nudge_job(deps)),
        "interval",
        seconds=NUDGE_INTERVAL_SECONDS,
        id="nudges",
    )
    scheduler.start()
    return scheduler


def app_deps(app: App) -> Deps:
    deps = getattr(app, "_seatbot_deps", None)
    assert isinstance(deps, Deps), "create_app() attaches the dependencies"
    return deps


def run_nudge_job(deps: Deps) -> None:
    """One pass: nudge, escalate or expire what is due, then send it."""
    from bot.services.nudges import run_nudges
    from storage.engine import unit_of_work

    now = deps.clock()
    with unit_of_work(deps.engine, write=True) as session:
        run = run_nudges(session, now=now)
    if run.nudged or run.escalated or run.expired:
        logger.info("nudges nudged=%s escalated=%s expired=%s", run.nudged, run.escalated, run.expired)
    deps.sender.deliver_due(now=now)
