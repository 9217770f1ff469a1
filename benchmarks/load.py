"""Closed-loop clients and an open-loop fixed rate, and the figures of one phase.

A closed-loop client is a person: it sends, gets the ack, waits for seatbot's
answer (bounded), then sends the next one. The open loop sends at a fixed rate
whatever happens, and collects the answers as they come (bounded drain).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import statistics
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from benchmarks.answers import Waiter
from benchmarks.wire import Sent, close_connections

SLACK_ACK_LIMIT = 3.0  # seconds Slack waits for an ack
OPEN_LOOP_SENDERS = 64


@dataclass
class Attempt:
    """One request: what was sent, its ack, and how its answer is awaited."""

    sent: Sent | None
    status: int = 0
    ack_s: float = 0.0
    waiter: Waiter | None = None  # None: the ack itself was the whole answer (or there is none)
    answered_in_ack: bool = False  # a refusal (form errors, busy…) right in the ack
    error: str | None = None


Job = Callable[[], Attempt]


@dataclass(frozen=True)
class Load:
    """``clients`` closed-loop clients, or ``rate`` requests a second for ``seconds`` (open loop)."""

    label: str
    clients: int = 0
    requests: int = 0
    rate: float = 0.0
    seconds: float = 0.0

    @property
    def open_loop(self) -> bool:
        return self.rate > 0

    @property
    def total(self) -> int:
        return round(self.rate * self.seconds) if self.open_loop else self.requests

    def split(self, jobs: Sequence[Job]) -> list[list[Job]]:
        """Closed loop: client i takes every clients-th job."""
        return [list(jobs[i :: self.clients]) for i in range(min(self.clients, len(jobs)))]


def _guarded(job: Job) -> Attempt:
    try:
        return job()
    except Exception as exc:  # one broken request is a figure, not the end of the run
        return Attempt(sent=None, error=f"{type(exc).__name__}: {exc}"[:300])


def run(load: Load, jobs: Sequence[Job], *, answer_timeout: float) -> list[Attempt]:
    """Run ``jobs`` under ``load``; returns once every answer came or timed out."""
    with _no_pauses_of_our_own():
        if load.open_loop:
            return _open(load, jobs, answer_timeout)
        return _closed(load, jobs, answer_timeout)


@contextlib.contextmanager
def _no_pauses_of_our_own() -> Iterator[None]:
    """Keep this process's garbage collector from timing itself into seatbot's figures.

    The clients, the Slack stand-in and everything it recorded share this process, and
    a full collection walks every object in it with every thread stopped: 50 to 150 ms
    once the stand-in holds a few runs' calls, during which no client reads its ack (a
    phase's worst acks were exactly that). What lives when a phase starts is frozen out of
    collections until it ends; what the phase creates is collected as usual.
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _closed(load: Load, jobs: Sequence[Job], answer_timeout: float) -> list[Attempt]:
    attempts: list[Attempt] = []
    lock = threading.Lock()

    def client(own: list[Job]) -> None:
        try:
            for job in own:
                attempt = _guarded(job)
                with lock:
                    attempts.append(attempt)
                if attempt.waiter is not None:
                    attempt.waiter.done.wait(answer_timeout)
        finally:
            close_connections()

    threads = [threading.Thread(target=client, args=(own,), daemon=True) for own in load.split(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return attempts


def _open(load: Load, jobs: Sequence[Job], answer_timeout: float) -> list[Attempt]:
    """Job i starts at start + i / rate, on one of at most OPEN_LOOP_SENDERS threads.

    The senders are few enough that their keep-alive connections stay under
    waitress's connection limit (100); if every sender is waiting for an ack, the
    next request starts late and the measured acks/s falls below the rate.
    """
    interval = 1.0 / load.rate
    start = time.monotonic() + 0.05
    attempts: list[Attempt | None] = [None] * len(jobs)
    counter = itertools.count()
    lock = threading.Lock()

    def sender() -> None:
        try:
            while True:
                with lock:
                    index = next(counter)
                if index >= len(jobs):
                    return
                delay = start + index * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # pacing the sender, not waiting for the server
                attempts[index] = _guarded(jobs[index])
        finally:
            close_connections()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(min(OPEN_LOOP_SENDERS, len(jobs)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done = [a for a in attempts if a is not None]
    deadline = time.monotonic() + answer_timeout
    for attempt in done:
        if attempt.waiter is not None:
            attempt.waiter.done.wait(max(0.0, deadline - time.monotonic()))
    return done


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 2)


def figures(attempts: list[Attempt], *, expects_answers: bool) -> dict[str, float | int | str | None]:
    """acks/s, ack p50/p99, answers/s, answer p50/p99… of one phase (times in ms)."""
    acked = [a for a in attempts if a.sent is not None and a.status == 200]
    first = min((a.sent.at for a in attempts if a.sent is not None), default=0.0)
    ack_ends = [a.sent.at + a.ack_s for a in acked if a.sent is not None]
    ack_window = max(ack_ends, default=first) - first
    answer_times: list[float] = []
    answer_ends: list[float] = []
    answer_errors = 0
    refused = 0
    in_ack = 0
    for a in acked:
        assert a.sent is not None
        if a.answered_in_ack:
            in_ack += 1
            refused += 1
            answer_times.append(a.ack_s)
            answer_ends.append(a.sent.at + a.ack_s)
        elif a.waiter is not None and a.waiter.answered_at is not None:
            answer_errors += a.waiter.outcome == "error"
            refused += a.waiter.outcome == "refused"
            answer_times.append(max(0.0, a.waiter.answered_at - a.sent.at))
            answer_ends.append(a.waiter.answered_at)
    answer_window = max(answer_ends, default=first) - first
    acks = [a.ack_s for a in acked]
    errors = [a.error for a in attempts if a.error]
    return {
        "requests": len(attempts),
        "acked": len(acked),
        "failed": len(attempts) - len(acked),
        "acks_over_3s": sum(s > SLACK_ACK_LIMIT for s in acks),
        "acks_per_s": round(len(acked) / ack_window, 1) if ack_window > 0 else None,
        "ack_p50_ms": _ms(_pct(acks, 0.5)),
        "ack_p99_ms": _ms(_pct(acks, 0.99)),
        "ack_mean_ms": _ms(statistics.fmean(acks)) if acks else None,
        "answered": len(answer_times) if expects_answers else None,
        "answered_in_ack": in_ack if expects_answers else None,
        "refused": refused if expects_answers else None,
        "answer_errors": answer_errors if expects_answers else None,
        "answers_per_s": (
            round(len(answer_times) / answer_window, 1) if expects_answers and answer_window > 0 else None
        ),
        "answer_p50_ms": _ms(_pct(answer_times, 0.5)) if expects_answers else None,
        "answer_p99_ms": _ms(_pct(answer_times, 0.99)) if expects_answers else None,
        "first_error": errors[0] if errors else None,
    }
