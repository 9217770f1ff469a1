"""Redraw people's App Home after a change, off the request's thread.

A change concerns several people (the requester, every approver), and a burst
of changes concerns the same approvers again and again. Redrawing each home
inside each request would cost a summary, a request list and a `views.publish`
per person per change, on the work path. Here a change only marks the people;
one thread redraws each person at most once per SPACING, always from the
database as it is when it draws, so the last redraw shows the last change.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

logger = logging.getLogger(__name__)

SPACING = 1.0
"""Seconds between two redraws of one person's home (the first one at once, after GATHER)."""

GATHER = 0.1
"""Seconds a due redraw waits for the rest of a burst of changes: their people are checked
(who has opened their home) in one statement, not one each."""

Person = tuple[str, str]  # (team_id, user_id)


def _everyone(_team_id: str, user_ids: list[str]) -> set[str]:
    return set(user_ids)


class HomeRefresher:
    def __init__(
        self,
        publish: Callable[[str, str], None],
        *,
        worth: Callable[[str, list[str]], set[str]] = _everyone,
        spacing: float = SPACING,
        gather: float = GATHER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._publish = publish
        self._worth = worth
        self._spacing = spacing
        self._gather = gather
        self._clock = clock
        self._due: dict[Person, float] = {}
        self._last: dict[Person, float] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def refresh(self, *, team_id: str, user_ids: Iterable[str]) -> None:
        """Have these people's homes redrawn soon; returns at once."""
        with self._changed:
            if self._closed:
                return
            now = self._clock()
            for user_id in user_ids:
                person = (team_id, user_id)
                if person not in self._due:
                    self._due[person] = max(now, self._last.get(person, now - self._spacing) + self._spacing)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="home-refresher", daemon=True)
                self._thread.start()
            self._changed.notify()

    def close(self, timeout: float = 10.0) -> None:
        """Stop redrawing; homes not yet redrawn are drawn when next opened."""
        with self._changed:
            self._closed = True
            self._changed.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._closed and not self._any_due():
                    self._changed.wait(self._wait())
                # Due: wait a moment for the rest of a burst of changes, then take them all.
                self._changed.wait_for(lambda: self._closed, timeout=self._gather)
                if self._closed:
                    return
                due = self._take_due()
            for team_id, user_id in self._worth_drawing(due):
                try:
                    self._publish(team_id, user_id)
                except Exception:
                    logger.exception("home refresh failed team=%s user=%s", team_id, user_id)

    def _worth_drawing(self, due: list[Person]) -> list[Person]:
        """The people among `due` whose home is worth drawing, asked once per team."""
        teams: dict[str, list[str]] = {}
        for team_id, user_id in due:
            teams.setdefault(team_id, []).append(user_id)
        drawn: list[Person] = []
        for team_id, user_ids in teams.items():
            try:
                worth = self._worth(team_id, user_ids)
            except Exception:
                logger.exception("home refresh failed team=%s users=%s", team_id, len(user_ids))
                continue
            drawn += [(team_id, user_id) for user_id in user_ids if user_id in worth]
        return drawn

    def _any_due(self) -> bool:
        now = self._clock()
        return any(at <= now for at in self._due.values())

    def _take_due(self) -> list[Person]:
        now = self._clock()
        due = [person for person, at in self._due.items() if at <= now]
        for person in due:
            del self._due[person]
            self._last[person] = now  # before drawing: a change during the draw gets its own redraw
        for person in [p for p, at in self._last.items() if at < now - self._spacing]:
            del self._last[person]
        return due

    def _wait(self) -> float | None:
        if not self._due:
            return None
        return max(0.0, min(self._due.values()) - self._clock())
