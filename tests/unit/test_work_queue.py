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
    running.run(lambda: release.wait(5), name="held")
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


def test_new_work_is_refused_once_the_head_of_the_line_has_waited_too_long() -> None:
    queue = WorkQueue(workers=1, capacity=100, max_wait=0.05)
    release = threading.Event()
    for name in ("running", "lined up"):
        slot = queue.reserve()
        assert slot is not None
        slot.run(lambda: release.wait(5), name=name)
    assert queue.wait_until_idle(0.2) is False  # the second job has now waited past max_wait

    assert queue.reserve() is None  # room in line, but it would be answered too late
    release.set()
    assert queue.wait_until_idle(5)
    assert queue.reserve() is not None  # the line moved: work is taken again
    queue.shutdown()
