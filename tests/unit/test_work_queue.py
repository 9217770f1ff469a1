"""The work queue knows when nobody is waiting on it, for background work that yields."""

from __future__ import annotations

import threading

from bot.runtime.work_queue import WorkQueue


def test_idle_only_once_every_reserved_place_is_done_or_given_back() -> None:
    queue = WorkQueue(workers=2, capacity=4)
    assert queue.wait_until_idle(0)

    release = threading.Event()
    running = queue.reserve()
    unused = queue.reserve()
    assert running is not None
    assert unused is not None
    running.run(release.wait, name="held")
    assert not queue.wait_until_idle(0.05)  # a job runs and another place is taken

    unused.release()
    assert not queue.wait_until_idle(0.05)  # the job still runs
    release.set()
    assert queue.wait_until_idle(5)
    queue.shutdown()


def test_a_failed_job_still_gives_its_place_back() -> None:
    queue = WorkQueue(workers=1, capacity=1)
    slot = queue.reserve()
    assert slot is not None

    def broken() -> None:
        raise RuntimeError("boom")

    slot.run(broken, name="broken")
    assert queue.wait_until_idle(5)
    assert queue.reserve() is not None
    queue.shutdown()
