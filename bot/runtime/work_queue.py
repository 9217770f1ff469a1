"""The work path: what a Slack request does after its ack, on a bounded queue.

Listeners ack from what is at hand and hand the rest (SQL writes, Slack API
calls) to this queue, so an ack never waits behind slow work. The queue is
bounded: when it is full the listener answers "busy, try again" at once
instead of acking late, and the work it would have done never starts.

The bound is both a length and an age: a burst of quick clicks may line up by
the hundred and still be answered within a second, but once the job at the
head of the line has waited MAX_WAIT, whatever joins now would be answered too
late to be worth starting.

Background work that nobody is waiting on (deliveries to others) can ask the
queue to be idle first: people waiting for their own answer go first.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

logger = logging.getLogger(__name__)

MAX_WAIT = 2.0
"""Seconds the oldest job in line may have waited before new work is refused ("busy")."""


class Slot:
    """A reserved place in the queue: run one job in it, or give it back."""

    def __init__(self, queue: WorkQueue) -> None:
        self._queue = queue
        self._used = False

    def run(self, job: Callable[[], object], *, name: str) -> None:
        assert not self._used, "a slot runs one job"
        self._used = True
        self._queue._start(job, name=name)

    def release(self) -> None:
        """Give the place back unused (the request was answered before any work)."""
        assert not self._used, "a slot runs one job"
        self._used = True
        self._queue._give_back()


class WorkQueue:
    def __init__(
        self,
        executor: Executor | None = None,
        *,
        workers: int = 16,
        capacity: int = 64,
        max_wait: float | None = None,
    ) -> None:
        self._executor = executor or ThreadPoolExecutor(max_workers=workers, thread_name_prefix="work")
        self._slots = threading.BoundedSemaphore(capacity)
        self.capacity = capacity
        self.max_wait = MAX_WAIT if max_wait is None else max_wait
        self._lined_up: deque[float] = deque()  # when each job not yet started joined the line
        self._taken = 0  # places reserved: requests whose answer is still being worked on
        self._changed = threading.Condition()

    def reserve(self) -> Slot | None:
        """A place for one job, or None when the queue is full or its head has waited too
        long (never blocks)."""
        try:
            if time.monotonic() - self._lined_up[0] > self.max_wait:
                return None
        except IndexError:  # nobody in line
            pass
        if not self._slots.acquire(blocking=False):
            return None
        with self._changed:
            self._taken += 1
        return Slot(self)

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait, at most `timeout` seconds, until no request is waiting on this queue."""
        with self._changed:
            return self._changed.wait_for(lambda: self._taken == 0, timeout)

    def _give_back(self) -> None:
        with self._changed:
            self._taken -= 1
            if self._taken == 0:
                self._changed.notify_all()
        self._slots.release()

    def _start(self, job: Callable[[], object], *, name: str) -> None:
        def run() -> None:
            with contextlib.suppress(IndexError):
                self._lined_up.popleft()  # jobs start in the order they joined: this one's place
            try:
                job()
            except Exception:  # the job's own handling failed too: keep the traceback
                logger.exception("work failed job=%s", name)
            finally:
                self._give_back()

        self._lined_up.append(time.monotonic())
        try:
            self._executor.submit(run)
        except RuntimeError:  # shutting down: nothing new starts
            self._lined_up.pop()
            self._give_back()
            logger.warning("work refused while shutting down job=%s", name)

    def shutdown(self, *, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)
