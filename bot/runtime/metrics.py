"""What seatbot tells Prometheus at `GET /metrics`.

Counters and histograms live in one registry for the process (every replica has its
own; Prometheus sums them). What is best read from the database itself (pending
requests, the outbox's backlog and its oldest message) is read at scrape time, so
every replica reports the same shared truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import select

from storage.engine import unit_of_work
from storage.models import ChangeRequest, OutboxMessage, OutboxStatus, RequestStatus

CONTENT_TYPE = CONTENT_TYPE_LATEST
REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "seatbot_slack_requests",
    "Slack requests by surface (command, block_actions, view_submission, event…) and outcome.",
    ["surface", "outcome"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "seatbot_ack_seconds",
    "From a Slack request's arrival to its ack (Slack waits 3 s).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=REGISTRY,
)
BUSY = Counter(
    "seatbot_busy_refusals",
    "Work refused with 'busy, try again' (the queue was full).",
    ["job"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "seatbot_deliveries",
    "Outbox messages handled by the sender, by result (sent, retry, failed, held, cancelled).",
    ["result"],
    registry=REGISTRY,
)
SCHEDULED = Counter(
    "seatbot_scheduled_steps",
    "Reminders, escalations and expiries taken by the scheduler.",
    ["step"],
    registry=REGISTRY,
)
PASS_SECONDS = Histogram(
    "seatbot_scheduler_pass_seconds",
    "How long one scheduler pass took.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)


class DatabaseGauges(Collector):
    """Read at each scrape: what waits in the database, whichever replica wrote it."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        with unit_of_work(self._engine) as session:
            pending = session.exec(
                select(func.count())
                .select_from(ChangeRequest)
                .where(ChangeRequest.status == RequestStatus.PENDING.value)
            ).one()
            backlog, oldest = session.exec(
                select(func.count(), func.min(OutboxMessage.created_at)).where(
                    OutboxMessage.status == OutboxStatus.PENDING.value
                )
            ).one()
        yield GaugeMetricFamily(
            "seatbot_pending_requests", "Change requests waiting for a decision.", pending
        )
        yield GaugeMetricFamily("seatbot_outbox_backlog", "Messages queued and not yet sent.", backlog)
        age = 0.0
        if oldest is not None:
            oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
            age = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
        yield GaugeMetricFamily(
            "seatbot_outbox_oldest_age_seconds", "Age of the oldest message not yet sent (0: none).", age
        )


def exposition(engine: Engine) -> bytes:
    """The Prometheus text for this process and the shared database."""
    shared = CollectorRegistry(auto_describe=False)
    shared.register(DatabaseGauges(engine))
    return generate_latest(REGISTRY) + generate_latest(shared)


# Every known label value from the start, so a dashboard sees zeros rather than gaps.
for _result in ("sent", "retry", "failed", "held", "cancelled"):
    DELIVERIES.labels(result=_result)
for _step in ("reminder", "escalation", "expiry"):
    SCHEDULED.labels(step=_step)
