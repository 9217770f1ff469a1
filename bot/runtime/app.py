"""The Bolt app factory, shared by HTTP mode, Socket Mode, the demo and the tests."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine

from bot.delivery.sender import Sender
from bot.messages.errors import not_installed_text
from bot.runtime import metrics
from bot.runtime.config import Settings
from bot.runtime.deps import CONTEXT_KEY, Deps, utcnow
from bot.runtime.home_refresher import HomeRefresher
from bot.runtime.home_viewers import HomeViewers
from bot.runtime.ingress import quiet_bolt_verification
from bot.runtime.oauth import StoreAuthorize, oauth_flow
from bot.runtime.work_queue import WorkQueue
from bot.services.installation import installed
from bot.slack import keep_alive
from bot.slack.client import make_web_client
from bot.slack.workspaces import InstalledWorkspaces, OneWorkspace, Workspaces
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
    queue: int = 512,
    executor: ThreadPoolExecutor | None = None,
) -> App:
    """Build the app; opens no connection (Slack is first called on the first request, and
    the connection is then kept for the next: `bot.slack.keep_alive`).

    Listeners run on the request's own thread and only parse and ack
    (`process_before_response=True`: no ack waits for a pool or polls for
    completion); the work goes to a bounded queue (`bot.runtime.work_queue`) that
    answers "busy, try again" when full, so Slack always gets its answer in time.

    Few workers, a long line: the work mostly waits on the database and Slack, and
    every busy worker thread competes with the acks for the interpreter; a job waiting
    in line costs nothing. Measured at 50 clients on 2 cores, 4 workers gave acks a
    p99 several times lower than 16, with answers no slower (benchmarks/RESULTS.md).

    With OAuth credentials (`settings.oauth`) every workspace that installs seatbot
    has its own bot token, and each request is authorized from the installation
    store (`bot.runtime.oauth`); otherwise the one bot token serves one workspace.
    """
    if settings.oauth and settings.slack_bot_token is not None:
        settings.require("serve")  # raises ConflictingCredentials, with what to do
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    signing_secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    keep_alive.install()  # every call to Slack from here on reuses its connection
    client = client or make_web_client(token=token, base_url=settings.slack_api_url)
    if signing_secret is not None:
        quiet_bolt_verification()  # Bolt would log a refused request's whole body
    workspaces: Workspaces
    oauth: dict[str, Any] = {}
    if settings.oauth:

        def on_installed(installation: Installation) -> None:
            team_id = installation.team_id or ""
            installs.forget(team_id)
            deps.write(installed, team_id=team_id, now=clock(), installer_id=installation.user_id)
            logger.info("installed team=%s installer=%s", team_id, installation.user_id)

        flow, store = oauth_flow(settings, engine=engine, client=client, on_installed=on_installed)
        installs = InstalledWorkspaces(store, base_url=settings.slack_api_url)
        workspaces = installs
        oauth = {
            "oauth_flow": flow,
            "installation_store": store,
            "authorize": StoreAuthorize(installs),
            "user_facing_authorize_error_message": not_installed_text(),
        }
    else:
        workspaces = OneWorkspace(client)
    with _without_token_warning():
        app = App(
            client=client,
            signing_secret=signing_secret,
            # Socket Mode has no signing secret: requests arrive over the authenticated socket.
            request_verification_enabled=signing_secret is not None,
            token_verification_enabled=False,
            process_before_response=True,
            **oauth,
        )

    def redraw(team_id: str, user_id: str) -> None:
        team_client = workspaces.client(team_id)
        if team_client is not None:
            redraw_home(deps, team_client, team_id=team_id, user_id=user_id)

    work = WorkQueue(
        executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work"), capacity=queue
    )
    deps = Deps(
        engine=engine,
        client=client,
        workspaces=workspaces,
        sender=Sender(
            engine=engine,
            workspaces=workspaces,
            on_result=lambda result: metrics.DELIVERIES.labels(result=result).inc(),
            yield_to=work.wait_until_idle,
        ),
        work=work,
        # A home nobody opened is not drawn: it is drawn when first opened.
        homes=HomeRefresher(redraw, worth=lambda team_id, users: deps.viewers.which_opened(team_id, users)),
        viewers=HomeViewers(engine),
        clock=clock,
    )

    @app.middleware
    def provide_deps(context: BoltContext, next: Callable[[], Any]) -> Any:
        context[CONTEXT_KEY] = deps
        return next()

    register_listeners(app)
    app._seatbot_deps = deps  # type: ignore[attr-defined]  # for jobs and tests; listeners use the context
    return app


class _TokenSkipped(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


@contextmanager
def _without_token_warning() -> Iterator[None]:
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and, handed our client too,
    warns that the token is unused: it is meant to be (the client carries it)."""
    bolt = logging.getLogger("slack_bolt.App")
    quiet = _TokenSkipped()
    bolt.addFilter(quiet)
    try:
        yield
    finally:
        bolt.removeFilter(quiet)
