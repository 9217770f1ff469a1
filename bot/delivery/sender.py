"""Deliver due outbox rows to Slack: one sender per row at a time, every failure recorded.

Leases. A row is claimed with a conditional UPDATE that sets `claimed_until`
(now + LEASE) and `claimed_by` (this sender's id); it is renewed or released
only by the sender that holds it. A crashed sender's rows are taken over once
the lease ends, about a minute later. The delivery client makes each Slack
call end within SEND_TIMEOUT and never sleeps on a 429, so a row's whole
attempt (a few profile look-ups, the in-doubt check, the post) stays well
inside the lease and two senders never hold a row at once.

Failures. Any exception while rendering or sending a row (Slack error,
timeout, database blip, a bug) is caught for that row: attempts, last error
and the next attempt (exponential backoff, or Slack's Retry-After) are
recorded, the lease is released and the row is retried later. Errors that can
never succeed (channel gone, user gone) mark the row failed instead.

Unknown outcomes. Every post carries message metadata naming its outbox row.
A post is marked `in_doubt` when claimed, and cleared on a definite answer.
If an attempt ended without one (timeout, dropped connection, 5xx, crash
while leased), the next attempt first reads the conversation back
(`conversations.open`, `conversations.history` with `include_all_metadata`,
from the row's creation time) and, if the message is there, records it as
sent, with its ts, instead of posting again.

Residual risk, accepted: if the history cannot be read (scope removed, bot
removed from the channel, history call refused) the sender posts again, so
delivery is at least once; a message posted in another conversation than
the one looked at (never the case here) would not be found either.

Workspaces. Each row is sent with the bot token of its account's workspace
(`bot.slack.workspaces`). Rows of an account whose workspace uninstalled
seatbot (`account.uninstalled_at`) are not taken: they stay pending, kept,
until it is installed again. A workspace the store has no token for holds its
rows for NOT_INSTALLED_WAIT.

Reminders and escalations of a request that is no longer pending are
cancelled here too, should one reach the sender (closing a request already
cancels them).

Approvers of one request are sent the same message: within a round, it is
rendered once per language and reused for the others (`_Shown`). A change
meanwhile is caught after the posts, as for a slow post: the copy's state is
read again, locked, and a refresh queued if it moved.

Batches. The copies of one message to several approvers (a request's approval
DMs, or their rewrites once it is decided) are due together: they are claimed
in one UPDATE that returns them, rendered from what it returned, sent one after
the other, and recorded in one transaction, BATCH_AT_MOST at a time. A batch is
never in doubt (a row in doubt goes alone, by the history check), each row's
Slack failure is its own, and a crash mid-batch leaves the posted rows in doubt
like a crash after one post.

`deliver_due(now=...)` is one synchronous pass (tests, CLI). `wake()` starts,
on first use, a daemon thread that runs passes and sleeps until the next row
is due (at most IDLE_WAIT, so rows queued by other replicas are found) or
until woken again; `close()` stops it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, Table, bindparam, func, insert, or_, update
from sqlalchemy import select as select_columns
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.delivery.render import APPROVAL_COPIES, PURPOSE_OF, REFRESH_OF, render, state_token
from bot.domain.clock import utcnow
from bot.messages.i18n import DEFAULT_LANGUAGE
from bot.services.outbox import REMINDERS, Kind
from bot.services.recording import Message, record
from bot.services.working_hours import next_working_time
from bot.slack.client import make_delivery_client
from bot.slack.users import Profile, UserDirectory
from bot.slack.workspaces import OneWorkspace, Workspaces
from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import (
    Account,
    ChangeRequest,
    OutboxMessage,
    OutboxStatus,
    RequestStatus,
    Role,
    SlackMessage,
)

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
"""How long a claimed row is held. A crashed sender's rows are taken over after this."""
SEND_TIMEOUT = 5
"""Seconds any one Slack call may take. A row makes at most about seven calls (profiles,
conversations.open, conversations.history, the post): well inside LEASE."""
IDLE_WAIT = 5.0
"""Longest sleep between passes: rows queued by other replicas are found this soon."""
SHOWN_FOR = 2.0
"""Seconds a rendered approval message is reused for the other approvers of its request in
the same round. Staleness is not the risk (each copy's state is checked after its post); this
keeps what one post carries as near as can be to what the database says when it is sent."""
YIELD_AT_MOST = 1.0
"""Seconds a pass may hold its messages back while people wait for their own answers: under
a burst of submissions each person's confirmation comes first, and approvers' messages at
most this much later (however long the burst lasts, each pass then sends at full speed)."""
BATCH_AT_MOST = 4
"""Copies claimed and recorded together. Reading them looks up at most one profile each and
the requester's; with a post each, the batch makes at most 1 + 2 × 4 calls of SEND_TIMEOUT:
45 s, inside LEASE."""
HISTORY_PAGES = 3
"""Pages of conversations.history read when looking for a post in doubt."""
CLOCK_SKEW = timedelta(minutes=1)
"""The history is read from a little before the row's creation: our clock and Slack's differ."""
METADATA_TYPE = "seatbot_outbox"
MAX_BACKOFF = timedelta(hours=1)
NOT_INSTALLED_WAIT = timedelta(minutes=5)
"""How long a row waits when its workspace has no bot token in the store."""
_NO_PROFILE = Profile(user_id="", name="", locale=None, tz="UTC", is_bot=False, deleted=False)
PERMANENT = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "message_not_found",
        "cant_update_message",
        "invalid_blocks",
        "msg_too_long",
        "no_text",
        "restricted_action",
    }
)


EXPECTED = PERMANENT | {"ratelimited"}
"""Slack errors logged as one line (they are categorised); any other gets its traceback."""


_UNLEASED = or_(
    col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < bindparam("now")
)
_DELIVERABLE = (
    col(OutboxMessage.status) == OutboxStatus.PENDING.value,
    _UNLEASED,
    col(Account.uninstalled_at).is_(None),  # kept until seatbot is installed again
)
# Each pass and each row runs these: built once, with bound parameters.
_NEXT_DUE = (
    select(func.min(OutboxMessage.next_attempt_at))
    .join(Account, col(Account.id) == col(OutboxMessage.account_id))
    .where(*_DELIVERABLE)
)
_DUE = (  # with what the claim and the batching need to know, so it is one statement
    select_columns(
        col(OutboxMessage.id),
        col(OutboxMessage.action),
        col(OutboxMessage.in_doubt),
        col(OutboxMessage.account_id),
        col(OutboxMessage.request_id),
        col(OutboxMessage.kind),
    )
    .join(Account, col(Account.id) == col(OutboxMessage.account_id))
    .where(*_DELIVERABLE, col(OutboxMessage.next_attempt_at) <= bindparam("now"))
    .order_by(col(OutboxMessage.id))
    .limit(bindparam("limit"))
)
_CLAIM = (
    update(OutboxMessage)
    .where(
        col(OutboxMessage.id) == bindparam("row_id"),
        col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        _UNLEASED,
        col(OutboxMessage.in_doubt) == bindparam("was_in_doubt"),  # as listed: no attempt since
    )
    .values(claimed_until=bindparam("until"), claimed_by=bindparam("by"), in_doubt=bindparam("doubt"))
    .execution_options(synchronize_session=False)
)
_CLAIM_BATCH = (  # rows listed as not in doubt, still so: one lease for them all
    update(OutboxMessage)
    .where(
        col(OutboxMessage.id).in_(bindparam("ids", expanding=True)),
        col(OutboxMessage.status) == OutboxStatus.PENDING.value,
        _UNLEASED,
        col(OutboxMessage.in_doubt).is_(False),
    )
    .values(claimed_until=bindparam("until"), claimed_by=bindparam("by"), in_doubt=bindparam("doubt"))
    .returning(OutboxMessage)  # the rows as claimed: what their plan reads, with no second query
    .execution_options(synchronize_session=False)
)
_BATCH_TARGETS = select(SlackMessage).where(col(SlackMessage.id).in_(bindparam("ids", expanding=True)))
_HELD = select(OutboxMessage).where(OutboxMessage.id == bindparam("row_id")).with_for_update()
# Written as Core statements on the tables: through the ORM, a batch's bulk UPDATE and
# INSERT cost the sender more CPU than the round trips (nothing here needs ORM instances).
_OUTBOX: Table = cast(Any, OutboxMessage).__table__
_COPIES: Table = cast(Any, SlackMessage).__table__
_MARK_SENT = (  # only while this sender holds the lease; what each message was about
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), _OUTBOX.c.claimed_by == bindparam("by"))
    .values(
        status=OutboxStatus.SENT.value,
        sent_at=bindparam("now"),
        claimed_until=None,
        claimed_by=None,
        in_doubt=False,
        attempts=_OUTBOX.c.attempts + 1,  # last_error, if any, stays: how it went before
    )
    .returning(
        _OUTBOX.c.id,
        _OUTBOX.c.kind,
        _OUTBOX.c.account_id,
        _OUTBOX.c.request_id,
        _OUTBOX.c.alert_id,
        _OUTBOX.c.recipient,
    )
)
_NEW_COPIES = insert(_COPIES).returning(_COPIES.c.id, sort_by_parameter_order=True)
_SUBJECT = (
    select(ChangeRequest, Account)
    .join(Account, col(Account.id) == col(ChangeRequest.account_id))
    .where(col(ChangeRequest.id) == bindparam("request_id"))
)
_REQUEST_STATUS = select(ChangeRequest.status).where(ChangeRequest.id == bindparam("request_id"))


@dataclass(frozen=True)
class _SentRow:
    id: int
    kind: str
    account_id: int
    request_id: int | None
    alert_id: int | None
    recipient: str


@dataclass(frozen=True)
class _Due:
    """A row due, as listed: what its claim and its batch need."""

    id: int
    action: str
    in_doubt: bool
    account_id: int
    request_id: int | None
    kind: str

    @property
    def batch(self) -> tuple[int, int, str, str] | None:
        """Rows with the same key are copies of one message (one request's, one kind, one
        action) and may go in one batch; None: this row goes alone."""
        if self.in_doubt or self.request_id is None or Kind(self.kind) not in APPROVAL_COPIES:
            return None
        return (self.account_id, self.request_id, self.kind, self.action)


@dataclass
class _Attempt:
    """What one attempt at a row learnt: whether a post may have landed without our knowing."""

    in_doubt: bool


@dataclass(frozen=True)
class _Slack:
    """One workspace's delivery client and its people."""

    client: WebClient
    users: UserDirectory


@dataclass(frozen=True)
class _Plan:
    """What one row's attempt does, decided in its read: cancel it (a reminder of a closed
    request), hold it (no token, or outside working hours), or send what was rendered."""

    team_id: str
    slack: _Slack | None
    closed: bool
    opens: datetime
    rendered: _Rendered | None


@dataclass(frozen=True)
class _Delivered:
    """A row Slack took: where it was posted (None for an update), what it showed."""

    row_id: int
    posted: dict[str, str] | None
    state: str | None
    attempt: _Attempt


@dataclass(frozen=True)
class _Rendered:
    payload: dict[str, Any]
    """The message's text and blocks, as Slack takes them."""
    state: str | None
    target: SlackMessage | None
    recipient: str
    created_at: datetime


_ShownKey = tuple[str, int, str]
"""An approval message as it reads: its kind, its request, the reader's language."""


class _Shown:
    """Approval messages rendered this round, reused for the other approvers' copies
    while fresh (SHOWN_FOR): the same request, kind and language read the same."""

    def __init__(self) -> None:
        self._kept: dict[_ShownKey, tuple[float, dict[str, Any], str | None]] = {}

    @staticmethod
    def key(row: OutboxMessage, language: str) -> _ShownKey | None:
        if row.request_id is None or Kind(row.kind) not in APPROVAL_COPIES:
            return None  # other messages depend on their reader, or are one of a kind
        return (row.kind, row.request_id, language)

    def get(self, key: _ShownKey | None) -> tuple[dict[str, Any], str | None] | None:
        kept = self._kept.get(key) if key is not None else None
        if kept is None or time.monotonic() - kept[0] > SHOWN_FOR:
            return None
        return kept[1], kept[2]

    def keep(self, key: _ShownKey | None, payload: dict[str, Any], state: str | None) -> None:
        if key is not None:
            self._kept[key] = (time.monotonic(), payload, state)


class Sender:
    def __init__(
        self,
        *,
        engine: Engine,
        client: WebClient | None = None,
        workspaces: Workspaces | None = None,
        sender_id: str | None = None,
        timeout: int = SEND_TIMEOUT,
        on_result: Callable[[str], object] | None = None,
        yield_to: Callable[[float], object] | None = None,
    ) -> None:
        """`client` for one workspace, or `workspaces` (each account's workspace's client);
        `on_result` hears each row's outcome (sent, retry, failed, held, cancelled): metrics;
        `yield_to(seconds)` returns once no request is waiting for its answer, or after
        `seconds` (the work queue's `wait_until_idle`)."""
        if (client is None) == (workspaces is None):
            raise ValueError("give the client of one workspace or the workspaces, not both")
        self._engine = engine
        self._workspaces: Workspaces = workspaces or OneWorkspace(client)  # type: ignore[arg-type]
        self._timeout = timeout
        self._slacks: dict[str, tuple[str | None, _Slack]] = {}
        self._teams: dict[int, str] = {}
        """Each account's workspace, which never changes: one read fewer per row."""
        self.id = sender_id or f"sender-{uuid.uuid4().hex[:12]}"
        self._clock: Callable[[], datetime] = utcnow
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._database_down_since: float | None = None
        self._on_result = on_result or (lambda _: None)
        self._yield_to = yield_to

    # -- the background loop -------------------------------------------------

    def wake(self, *, clock: Callable[[], datetime] | None = None) -> None:
        """Deliver what is due soon, on the sender's own thread; returns at once, never raises.

        The first call starts the thread (with `clock`, read once per pass).
        """
        with self._lock:
            if clock is not None and self._thread is None:
                self._clock = clock
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name=f"outbox-{self.id}", daemon=True)
                self._thread.start()
        self._wake.set()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the background thread (after the row in hand, if any)."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while not self._closed:
            self._wake.clear()
            try:
                now = self._clock()
                self.deliver_due(now=now)
                wait = self._idle_wait(now)
                self._database_down_since = None
            except OperationalError as exc:
                # The database is away (restart, failover): one line when it goes, not a traceback a pass.
                if self._database_down_since is None:
                    self._database_down_since = time.monotonic()
                    logger.warning(
                        "delivery paused: database unreachable sender=%s error=%s", self.id, exc.orig
                    )
                wait = IDLE_WAIT
            except Exception:
                logger.exception("delivery pass failed sender=%s", self.id)
                wait = IDLE_WAIT
            self._wake.wait(wait)

    def _idle_wait(self, now: datetime) -> float:
        """Seconds until the next unleased row is due, bounded by IDLE_WAIT."""
        with unit_of_work(self._engine) as session:
            due = session.exec(_NEXT_DUE, params={"now": now}).one()
        if due is None:
            return IDLE_WAIT
        return max(0.0, min(IDLE_WAIT, (due - now).total_seconds()))

    # -- one pass ----------------------------------------------------------------

    def deliver_due(self, *, now: datetime, limit: int = 100, rounds: int = 5) -> int:
        """Send what is due; returns how many rows were sent.

        Sending can queue more (a copy posted just as the request was decided
        needs a refresh), so it goes round again until nothing new is due.
        """
        sent = 0
        # A pass may take a while (a slow Slack): each lease is counted from its claim, not
        # from the start of the pass, or a late row's lease could already be over when taken.
        started = time.monotonic()
        patience = started + YIELD_AT_MOST
        for _ in range(rounds):
            rows = self._due(now, limit)
            if not rows:
                break
            shown = _Shown()
            for batch in _batches(rows):
                self._let_people_first(patience)
                claimed_at = now + timedelta(seconds=time.monotonic() - started)
                if len(batch) == 1:
                    sent += self._deliver_one(batch[0], now, claimed_at, shown)
                else:
                    sent += self._deliver_batch(batch, now, claimed_at, shown)
        return sent

    def _let_people_first(self, patience: float) -> None:
        """Messages to others wait while people wait for their own answer (the interpreter
        is shared), but a pass never waits more than YIELD_AT_MOST in all."""
        left = patience - time.monotonic()
        if self._yield_to is not None and left > 0:
            self._yield_to(left)

    def _due(self, now: datetime, limit: int) -> list[_Due]:
        with unit_of_work(self._engine) as session:
            rows = session.execute(_DUE, {"now": now, "limit": limit}).all()
        return [
            _Due(row_id, action, bool(in_doubt), account_id, request_id, kind)
            for row_id, action, in_doubt, account_id, request_id, kind in rows
            if row_id
        ]

    def _deliver_one(self, due: _Due, now: datetime, claimed_at: datetime, shown: _Shown) -> int:
        """Claim and deliver one row; whatever goes wrong is recorded on the row, never raised."""
        row_id = due.id
        try:
            was_in_doubt = self._claim(due, claimed_at)
        except Exception:
            logger.exception("delivery claim failed outbox=%s", row_id)
            return 0
        if was_in_doubt is None:
            return 0  # another sender has it
        attempt = _Attempt(in_doubt=was_in_doubt)
        try:
            return int(self._deliver(row_id, now, attempt, shown))
        except Exception as exc:
            self._attempt_failed(row_id, now, exc, attempt)
        return 0

    def _deliver_batch(self, batch: list[_Due], now: datetime, claimed_at: datetime, shown: _Shown) -> int:
        """Claim, read, send and record copies of one message together; each row's failure
        is recorded on that row alone, never raised."""
        try:
            held, plans = self._claim_and_plan_batch(batch, now, claimed_at, shown)
        except Exception:
            logger.exception("delivery claim failed outbox=%s", ",".join(str(due.id) for due in batch))
            return 0
        delivered: list[_Delivered] = []
        for row_id in held:
            attempt = _Attempt(in_doubt=False)
            try:
                plan = plans.get(row_id) or LookupError("outbox row gone")
                if isinstance(plan, Exception):
                    raise plan
                outcome = self._send(row_id, now, plan, attempt)
            except Exception as exc:
                self._attempt_failed(row_id, now, exc, attempt)
                continue
            if outcome is not None:
                delivered.append(outcome)
        try:
            self._sent(delivered, now)
        except Exception as exc:
            for outcome in delivered:
                self._attempt_failed(outcome.row_id, now, exc, outcome.attempt)
            return 0
        return len(delivered)

    def _claim_and_plan_batch(
        self, batch: list[_Due], now: datetime, claimed_at: datetime, shown: _Shown
    ) -> tuple[list[int], dict[int, _Plan | Exception]]:
        """The lease of every row of the batch still as listed (one UPDATE returning the rows,
        in order; the others are held by another sender, or were tried since), and each held
        row's plan from them; a row whose plan failed gets its exception.

        On PostgreSQL the claim commits on its own and the plan's reads each run alone (no
        snapshot: what a copy shows is checked again once it is posted). On SQLite it is one
        transaction, committed before anything is posted either way."""
        lease = {
            "ids": [due.id for due in batch],
            "now": claimed_at,
            "until": claimed_at + LEASE,
            "by": self.id,
            "doubt": batch[0].action == "post",
        }
        plans: dict[int, _Plan | Exception] = {}
        with unit_of_work(self._engine, write=True, snapshot=False) as session:
            rows = sorted(session.scalars(_CLAIM_BATCH, lease).all(), key=lambda row: row.id or 0)
            held = [int(row.id or 0) for row in rows]
            try:
                targets = [row.slack_message_id for row in rows if row.slack_message_id]
                if targets:  # into the session: each row's plan finds its copy without a query
                    session.exec(_BATCH_TARGETS, params={"ids": targets}).all()
                for row in rows:
                    try:
                        plans[int(row.id or 0)] = self._plan(session, row, now, shown)
                    except Exception as exc:
                        plans[int(row.id or 0)] = exc
            except Exception as exc:  # the claim stands: each row's failure is recorded on it
                plans = dict.fromkeys(held, exc)
        return held, plans

    def _attempt_failed(self, row_id: int, now: datetime, exc: Exception, attempt: _Attempt) -> None:
        """Record why an attempt failed: Slack said no, or anything else went wrong."""
        if isinstance(exc, SlackApiError):
            response = exc.response
            status = int(getattr(response, "status_code", 200) or 200)
            if status >= 500:
                error = f"http_{status}"  # the answer of a load balancer: the post may have landed
            else:
                error = str(response.get("error") or "unknown_error")
                attempt.in_doubt = False  # Slack answered: nothing was posted
            if error not in EXPECTED and not error.startswith("http_"):
                logger.error("unexpected Slack error outbox=%s error=%s", row_id, error, exc_info=exc)
            self._record_failure(row_id, now, error, getattr(response, "headers", {}), attempt)
            return
        # Timeouts, dropped connections, database errors, bugs: all retried later.
        logger.error("delivery attempt failed outbox=%s", row_id, exc_info=exc)
        self._record_failure(row_id, now, f"{type(exc).__name__}: {exc}", {}, attempt)

    def _claim(self, due: _Due, now: datetime) -> bool | None:
        """Take the row's lease; None if another sender holds it or tried it since it was
        listed (it is taken again, as it is now, next round); else whether it was in doubt.

        One conditional UPDATE, on its own (no transaction around it on PostgreSQL). A post
        is marked in doubt from now on: if this sender dies mid-post, the next one looks
        for the message before posting again.
        """
        lease = {
            "row_id": due.id,
            "now": now,
            "until": now + LEASE,
            "by": self.id,
            "was_in_doubt": due.in_doubt,
            "doubt": due.in_doubt or due.action == "post",
        }
        with unit_of_work(self._engine, write=True, snapshot=False) as session:
            claimed = repo.rowcount(session.execute(_CLAIM, lease))
        return due.in_doubt if claimed == 1 else None

    def _slack(self, team_id: str) -> _Slack | None:
        """The workspace's delivery client: its token, no retries, short calls."""
        client = self._workspaces.client(team_id)
        if client is None:
            return None
        known = self._slacks.get(team_id)
        if known is not None and known[0] == client.token:
            return known[1]
        delivery = make_delivery_client(client, timeout=self._timeout)
        slack = _Slack(delivery, self._workspaces.users(team_id).through(delivery))
        self._slacks[team_id] = (client.token, slack)
        return slack

    def _deliver(self, row_id: int, now: datetime, attempt: _Attempt, shown: _Shown) -> bool:
        with unit_of_work(self._engine) as session:  # one read: whether to send, and what
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            plan = self._plan(session, row, now, shown)
        delivered = self._send(row_id, now, plan, attempt)
        if delivered is None:
            return False
        self._sent([delivered], now)
        return True

    def _plan(self, session: Session, row: OutboxMessage, now: datetime, shown: _Shown) -> _Plan:
        team_id = self._team(session, row.account_id)
        slack = self._slack(team_id)
        closed = Kind(row.kind) in REMINDERS and not _request_pending(session, row)
        opens = now if closed or slack is None else self._opens(session, row, now, slack)
        rendered = None
        if not closed and slack is not None and opens <= now:
            rendered = self._render(session, row, slack, shown)
        return _Plan(team_id, slack, closed, opens, rendered)

    def _send(self, row_id: int, now: datetime, plan: _Plan, attempt: _Attempt) -> _Delivered | None:
        """Carry out the plan: the Slack call, or the row given back (None)."""
        if plan.closed:
            self._release(row_id, attempt, status=OutboxStatus.CANCELLED)
            self._on_result("cancelled")
            logger.info("reminder of a closed request cancelled outbox=%s", row_id)
            return None
        if plan.slack is None:
            self._release(row_id, attempt, next_attempt_at=now + NOT_INSTALLED_WAIT)
            self._on_result("held")
            logger.info("delivery held: workspace not installed outbox=%s team=%s", row_id, plan.team_id)
            return None
        if plan.opens > now:
            self._release(row_id, attempt, next_attempt_at=plan.opens)
            self._on_result("held")
            logger.info("delivery held outbox=%s until=%s", row_id, plan.opens.isoformat())
            return None
        rendered, slack = plan.rendered, plan.slack
        assert rendered is not None
        if rendered.target is not None:
            target = rendered.target
            slack.client.chat_update(channel=target.channel, ts=target.ts, **rendered.payload)
            return _Delivered(row_id, None, rendered.state, attempt)
        if attempt.in_doubt:
            found = self._find_posted(row_id, rendered, slack)
            if found is not None:
                logger.info("post in doubt had landed outbox=%s ts=%s", row_id, found["ts"])
                return _Delivered(row_id, found, rendered.state, attempt)
        attempt.in_doubt = True
        response = slack.client.chat_postMessage(
            channel=rendered.recipient,
            metadata={"event_type": METADATA_TYPE, "event_payload": {"outbox_id": row_id}},
            **rendered.payload,
        )
        data = response.data
        assert isinstance(data, dict)
        posted = {"channel": str(data["channel"]), "ts": str(data["ts"])}
        return _Delivered(row_id, posted, rendered.state, attempt)

    def _opens(self, session: Session, row: OutboxMessage, now: datetime, slack: _Slack) -> datetime:
        """When the row may be sent: reminders wait for the approver's working hours."""
        if row.kind != Kind.NUDGE.value:
            return now
        account = session.get(Account, row.account_id)
        assert account is not None
        tz = (slack.users.lookup(row.recipient) or _NO_PROFILE).tz
        return next_working_time(now, tz=tz, start=account.work_start, end=account.work_end)

    def _team(self, session: Session, account_id: int) -> str:
        team_id = self._teams.get(account_id)
        if team_id is None:
            account = session.get(Account, account_id)
            assert account is not None
            team_id = self._teams[account_id] = account.team_id
        return team_id

    def _render(self, session: Session, row: OutboxMessage, slack: _Slack, shown: _Shown) -> _Rendered:
        target = session.get(SlackMessage, row.slack_message_id) if row.slack_message_id else None
        reader = target.recipient_id if target and target.recipient_id else row.recipient
        if not reader.startswith(("U", "W")):  # a channel reads in its owner's language
            owners = repo.holders_of(session, account_id=row.account_id, roles=[Role.OWNER])
            reader = owners[0] if owners else reader
        language = self._language(reader, slack) if reader.startswith(("U", "W")) else "en"
        key = _Shown.key(row, language)
        known = shown.get(key)
        if known is not None:
            return _Rendered(known[0], known[1], target, row.recipient, row.created_at)
        # Held for the whole render: the session's identity map only keeps what is referenced,
        # so the message, the names and the state token all read this one row (and the
        # message its account) from this one statement.
        subject = (
            session.exec(_SUBJECT, params={"request_id": row.request_id}).first() if row.request_id else None
        )
        reply = render(
            session, row, language=language, name_of=self._names(session, row, slack), now=self._clock()
        )
        payload, state = reply.payload(), state_token(session, row)
        del subject
        shown.keep(key, payload, state)
        return _Rendered(payload, state, target, row.recipient, row.created_at)

    def _find_posted(self, row_id: int, rendered: _Rendered, slack: _Slack) -> dict[str, str] | None:
        """The message an earlier attempt may have posted, found by its metadata; None if absent.

        If the history cannot be read, None: the row is posted again (at least once).
        """
        try:
            channel = rendered.recipient
            if channel.startswith(("U", "W")):
                opened = slack.client.conversations_open(users=channel)
                channel = str(opened["channel"]["id"])
            oldest = f"{(rendered.created_at - CLOCK_SKEW).timestamp():.6f}"
            cursor: str | None = None
            for _ in range(HISTORY_PAGES):
                page = slack.client.conversations_history(
                    channel=channel, oldest=oldest, include_all_metadata=True, limit=200, cursor=cursor
                )
                for message in page.get("messages") or []:
                    if _carries(message, row_id):
                        return {"channel": channel, "ts": str(message["ts"])}
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except SlackApiError as exc:
            logger.warning(
                "cannot check whether a post landed; posting again outbox=%s error=%s",
                row_id,
                exc.response.get("error"),
            )
        return None

    def _language(self, user_id: str, slack: _Slack) -> str:
        """The reader's language; a lookup that times out fails the attempt (retried later)."""
        profile = slack.users.lookup(user_id)
        return profile.language if profile else DEFAULT_LANGUAGE

    def _names(self, session: Session, row: OutboxMessage, slack: _Slack) -> dict[str, str]:
        """Display names for plain-text fallbacks (notifications can't show mentions)."""
        if not row.request_id:
            return {}
        request = session.get(ChangeRequest, row.request_id)
        profile = slack.users.lookup(request.requester_id) if request else None
        return {profile.user_id: profile.name} if profile else {}

    # -- recording the outcome (only while this sender holds the lease) -----------

    def _held(self, session: Session, row_id: int) -> OutboxMessage | None:
        """The row, locked, if this sender still holds its lease."""
        row = session.exec(_HELD, params={"row_id": row_id}).first()
        if row is None or row.claimed_by != self.id:
            logger.warning("lease lost outbox=%s sender=%s", row_id, self.id)
            return None
        return row

    def _release(
        self,
        row_id: int,
        attempt: _Attempt,
        *,
        status: OutboxStatus | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """Give the row back without sending (held for working hours, or cancelled)."""
        with unit_of_work(self._engine, write=True) as session:
            row = self._held(session, row_id)
            if row is None:
                return
            row.claimed_until, row.claimed_by, row.in_doubt = None, None, attempt.in_doubt
            if status is not None and row.status == OutboxStatus.PENDING.value:
                row.status = status.value
            if next_attempt_at is not None:
                row.next_attempt_at = next_attempt_at
            session.add(row)

    def _sent(self, delivered: list[_Delivered], now: datetime) -> None:
        """Record what Slack took, in one transaction: each row sent, each posted copy kept
        (to be rewritten later), and a refresh queued for any whose subject moved meanwhile."""
        if not delivered:
            return
        by_id = {outcome.row_id: outcome for outcome in delivered}
        with unit_of_work(self._engine, write=True) as session:
            # Sent even if cancelled meanwhile: it is on screen, and is refreshed below.
            params = {"ids": list(by_id), "by": self.id, "now": now}
            rows = [_SentRow(*marked) for marked in session.execute(_MARK_SENT, params).all()]
            for row_id in by_id.keys() - {row.id for row in rows}:
                # The sender that took over finds the post by its metadata.
                logger.warning("lease lost outbox=%s sender=%s", row_id, self.id)
            kept = [(row, by_id[row.id]) for row in sorted(rows, key=lambda row: row.id) if _kept(row, by_id)]
            if kept:
                copies = [_copy(row, outcome, now) for row, outcome in kept]
                copy_ids = session.execute(_NEW_COPIES, copies).scalars().all()
                self._refresh_moved(session, kept, list(copy_ids), now)
        for outcome in delivered:
            outcome.attempt.in_doubt = False  # only once recorded: until then, a post may be lost
        for row_id in by_id.keys() & {row.id for row in rows}:
            self._on_result("sent")
            logger.info("delivered outbox=%s", row_id)

    @staticmethod
    def _refresh_moved(
        session: Session, kept: list[tuple[_SentRow, _Delivered]], copy_ids: list[int], now: datetime
    ) -> None:
        """Queue a rewrite of each copy whose subject changed while it was on its way."""
        # Locked reads: a change committing right now either sees these copies (and
        # refreshes them) or is seen here; never neither. One read a subject.
        current: dict[tuple[str, int | None, int | None], str | None] = {}
        refreshes: dict[int, list[Message]] = {}
        for (row, outcome), copy_id in zip(kept, copy_ids, strict=True):
            subject = (_subject_kind(row.kind), row.request_id, row.alert_id)
            if subject not in current:
                current[subject] = state_token(session, row, lock=True)
            if current[subject] == outcome.state:
                continue
            assert outcome.posted is not None
            newer = Message(
                REFRESH_OF[Kind(row.kind)],
                outcome.posted["channel"],
                f"refresh:{row.kind}:{copy_id}:{current[subject]}",
                request_id=row.request_id,
                alert_id=row.alert_id,
                slack_message_id=copy_id,
            )
            refreshes.setdefault(row.account_id, []).append(newer)
        for account_id, messages in refreshes.items():
            record(session, account_id=account_id, at=now, messages=messages)

    def _record_failure(
        self, row_id: int, now: datetime, error: str, headers: object, attempt: _Attempt
    ) -> None:
        try:
            self._failed(row_id, now, error, headers, attempt)
        except Exception:
            # The database is away too: the lease runs out and the row is tried again.
            logger.exception("could not record a delivery failure outbox=%s error=%s", row_id, error)

    def _failed(self, row_id: int, now: datetime, error: str, headers: object, attempt: _Attempt) -> None:
        with unit_of_work(self._engine, write=True) as session:
            row = self._held(session, row_id)
            if row is None:
                return
            row.attempts += 1
            row.claimed_until, row.claimed_by, row.in_doubt = None, None, attempt.in_doubt
            row.last_error = error[:500]
            if row.status != OutboxStatus.PENDING.value:
                pass  # cancelled while in flight: nothing more to do
            elif error in PERMANENT:
                row.status = OutboxStatus.FAILED.value
                self._on_result("failed")
                if not row.recipient.startswith(("U", "W")) and row.action == "post":
                    _report_to_owner(session, row, error, now)
                logger.error(
                    "undeliverable outbox=%s kind=%s recipient=%s error=%s",
                    row_id,
                    row.kind,
                    row.recipient,
                    error,
                )
            else:
                retry_after = _retry_after(headers)
                backoff = timedelta(seconds=5 * 2 ** min(row.attempts - 1, 12))
                delay = retry_after or min(backoff, MAX_BACKOFF)
                row.next_attempt_at = now + delay
                self._on_result("retry")
                logger.warning(
                    "delivery will be retried outbox=%s error=%s attempts=%s in=%ss",
                    row_id,
                    error,
                    row.attempts,
                    int(delay.total_seconds()),
                )
            session.add(row)


def _batches(rows: list[_Due]) -> list[list[_Due]]:
    """The round's rows in order, copies of one message together (BATCH_AT_MOST a batch),
    each batch where its first row was listed."""
    batches: list[list[_Due]] = []
    open_: dict[tuple[int, int, str, str], list[_Due]] = {}
    for due in rows:
        key = due.batch
        batch = open_.get(key) if key is not None else None
        if batch is None or len(batch) >= BATCH_AT_MOST:
            batch = [due]
            batches.append(batch)
            if key is not None:
                open_[key] = batch
        else:
            batch.append(due)
    return batches


def _kept(row: _SentRow, by_id: dict[int, _Delivered]) -> bool:
    """A posted message that is kept up to date: its copy is stored."""
    return by_id[row.id].posted is not None and Kind(row.kind) in REFRESH_OF


def _copy(row: _SentRow, outcome: _Delivered, now: datetime) -> dict[str, Any]:
    assert outcome.posted is not None
    return {
        "account_id": row.account_id,
        "request_id": row.request_id,
        "alert_id": row.alert_id,
        "purpose": PURPOSE_OF.get(Kind(row.kind), Kind(row.kind)).value,
        "recipient_id": row.recipient if row.recipient.startswith(("U", "W")) else None,
        "channel": outcome.posted["channel"],
        "ts": outcome.posted["ts"],
        "created_at": now,
        "updated_at": now,
    }


def _subject_kind(kind: str) -> str:
    """Copies of one request's approval (a DM, a reminder, an escalation) show one state."""
    return "request" if Kind(kind) in APPROVAL_COPIES else "alert"


def _request_pending(session: Session, row: OutboxMessage) -> bool:
    status = session.exec(_REQUEST_STATUS, params={"request_id": row.request_id}).first()
    return status == RequestStatus.PENDING.value


def _carries(message: dict[str, Any], row_id: int) -> bool:
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    return bool(metadata.get("event_type") == METADATA_TYPE and payload.get("outbox_id") == row_id)


def _report_to_owner(session: Session, row: OutboxMessage, error: str, now: datetime) -> None:
    """A channel message that can never be posted is not swallowed: the owner hears of it."""
    owners = repo.holders_of(session, account_id=row.account_id, roles=[Role.OWNER])
    if owners:
        report = Message(
            Kind.UNDELIVERABLE,
            owners[0],
            f"undeliverable:{row.recipient}:{error}:{row.id}",
            params={"channel": row.recipient, "error": error},
        )
        record(session, account_id=row.account_id, at=now, messages=[report])


def _retry_after(headers: object) -> timedelta | None:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return timedelta(seconds=int(raw))
            except (TypeError, ValueError):
                return None
    return None
