"""The Bolt app factory, shared by HTTP mode, Socket Mode, the demo and the tests."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.delivery.sender import Sender
from bot.runtime.config import Settings
from bot.runtime.deps import CONTEXT_KEY, Deps, utcnow
from bot.runtime.home_refresher import HomeRefresher
from bot.runtime.ingress import quiet_bolt_verification
from bot.runtime.work_queue import WorkQueue
from bot.slack.client import make_web_client
from bot.slack.users import UserDirectory
from handlers import register_listeners
from handlers.home_tab import redraw_home

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    engine: Engine,
    clock: Callable[[], datetime] = utcnow,
    client: WebClient | None = None,
    workers: int = 4,
    queue: int = 128,
    executor: ThreadPoolExecutor | None = None,
) -> App:
    """Build the app; opens no connection (Slack is first called on the first request).

    Listeners run on the request's own thread and only parse and ack
    (`process_before_response=True`: no ack waits for a pool or polls for
    completion); the work goes to a bounded queue (`bot.runtime.work_queue`) that
    answers "busy, try again" when full, so Slack always gets its answer in time.

    Few workers, a long line: the work mostly waits on the database and Slack, and
    every busy worker thread competes with the acks for the interpreter; a job waiting
    in line costs nothing. Measured at 50 clients on 2 cores, 4 workers gave acks a
    p99 several times lower than 16, with answers no slower (benchmarks/RESULTS.md).
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    client = client or make_web_client(token=token, base_url=settings.slack_api_url)
    if signing_secret is not None:
        quiet_bolt_verification()  # Bolt would log a refused request's whole body
    app = App(
        client=client,
        signing_secret=signing_secret,
        # Socket Mode has no signing secret: requests arrive over the authenticated socket.
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,
        process_before_response=True,
    )
    users = UserDirectory(client)

    def redraw(team_id: str, user_id: str) -> None:
        redraw_home(deps, client, team_id=team_id, user_id=user_id)

    deps = Deps(
        engine=engine,
        client=client,
        users=users,
        sender=Sender(engine=engine, client=client),
        work=WorkQueue(
            executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work"),
            capacity=queue,
        ),
        homes=HomeRefresher(redraw),
        clock=clock,
    )

    @app.middleware
    def provide_deps(context: BoltContext, next: Callable[[], Any]) -> Any:
        context[CONTEXT_KEY] = deps
        return next()

    register_listeners(app)
    app._seatbot_deps = deps  # type: ignore[attr-defined]  # for jobs and tests; listeners use the context
    return app
