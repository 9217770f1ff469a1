"""Scheduled jobs (APScheduler): today, retrying undelivered messages.

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
    scheduler.start()
    return scheduler


def app_deps(app: App) -> Deps:
    deps = getattr(app, "_seatbot_deps", None)
    assert isinstance(deps, Deps), "create_app() attaches the dependencies"
    return deps
