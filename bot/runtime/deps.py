"""What listeners need, handed to them through the Bolt context (no globals)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.delivery.sender import Sender
from bot.domain.clock import utcnow as utcnow  # re-exported: where the app's callers have found the clock
from bot.runtime.home_refresher import HomeRefresher
from bot.runtime.home_viewers import HomeViewers
from bot.runtime.work_queue import WorkQueue
from bot.slack.users import UserDirectory
from bot.slack.workspaces import Workspaces
from storage.engine import unit_of_work

logger = logging.getLogger(__name__)

CONTEXT_KEY = "seatbot"
T = TypeVar("T")


@dataclass(frozen=True)
class Deps:
    engine: Engine
    client: WebClient
    """The app's own client: the one workspace's, or (OAuth) one with no token."""
    workspaces: Workspaces
    """Each workspace's client and people (`bot.slack.workspaces`)."""
    sender: Sender
    work: WorkQueue
    homes: HomeRefresher
    viewers: HomeViewers
    """Who has opened their App Home: only their homes are redrawn after a change."""
    clock: Callable[[], datetime] = utcnow
    _courtesy: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1, thread_name_prefix="courtesy")
    )

    def people(self, team_id: str) -> UserDirectory:
        """The workspace's people, looked up with its own bot token."""
        return self.workspaces.users(team_id)

    def courtesy(self, note: Callable[[], object]) -> None:
        """A short note to someone seatbot is too busy to serve (one thread, off the ack path)."""

        def send() -> None:
            try:
                note()
            except Exception:
                logger.warning("busy note not sent", exc_info=True)

        self._courtesy.submit(send)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the sender's thread and finish the work already queued (shutdown, tests)."""
        self.work.shutdown(wait=True)
        self._courtesy.shutdown(wait=True)
        self.homes.close(timeout=timeout)
        self.sender.close(timeout=timeout)
        self.workspaces.close(timeout=timeout)

    def read(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        """Run a use case in a read-only unit of work: `use_case(session, **arguments)`.

        What a person is shown, read without one snapshot (`unit_of_work`): every
        decision is taken again, in its own transaction, by the write it leads to."""
        with unit_of_work(self.engine, snapshot=False) as session:
            return use_case(session, **arguments)

    def write(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        """Run a use case in one transaction, committed when it returns."""
        with unit_of_work(self.engine, write=True) as session:
            return use_case(session, **arguments)

    def deliver(self) -> None:
        """Have what the last transaction queued sent (called after commit, after the ack).

        Returns at once and never raises: the sender works on its own thread, so a Slack
        or database failure while delivering can never reach the listener, whose change
        is already committed.
        """
        try:
            self.sender.wake(clock=self.clock)
        except Exception:
            logger.exception("could not wake the sender")


def deps_of(context: Any) -> Deps:
    deps = context[CONTEXT_KEY]
    assert isinstance(deps, Deps)
    return deps
