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
meanwhile is caught after each post, as for a slow post: the copy's state is
read again, locked, and a refresh queued if it moved.

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
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, bindparam, func, insert, or_, update
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
    OutboxMessage.status == OutboxStatus.PENDING.value,
    _UNLEASED,
    col(Account.uninstalled_at).is_(None),  # kept until seatbot is installed again
)
# Each pass and each row runs these: built once, with bound parameters.
_NEXT_DUE = (
    select(func.min(OutboxMessage.next_attempt_at))
    .join(Account, col(Account.id) == col(OutboxMessage.account_id))
    .where(*_DELIVERABLE)
)
_DUE = (  # with what the claim needs to know, so it is one statement
    select(OutboxMessage.id, OutboxMessage.action, OutboxMessage.in_doubt)
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
_HELD = select(OutboxMessage).where(OutboxMessage.id == bindparam("row_id")).with_for_update()
_MARK_SENT = (  # only while this sender holds the lease; what the message was about
    update(OutboxMessage)
    .where(col(OutboxMessage.id) == bindparam("row_id"), col(OutboxMessage.claimed_by) == bindparam("by"))
    .values(
        status=OutboxStatus.SENT.value,
        sent_at=bindparam("now"),
        claimed_until=None,
        claimed_by=None,
        in_doubt=False,
        attempts=col(OutboxMessage.attempts) + 1,  # last_error, if any, stays: how it went before
    )
    .returning(
        col(OutboxMessage.kind),
        col(OutboxMessage.account_id),
        col(OutboxMessage.request_id),
        col(OutboxMessage.alert_id),
        col(OutboxMessage.recipient),
    )
    .execution_options(synchronize_session=False)
)
_NEW_COPY = insert(SlackMessage).returning(col(SlackMessage.id))
_REQUEST_STATUS = select(ChangeRequest.status).where(ChangeRequest.id == bindparam("request_id"))


@dataclass(frozen=True)
class _SentRow:
    kind: str
    account_id: int
    request_id: int | None
    alert_id: int | None
    recipient: str


@dataclass(frozen=True)
class _Due:
    """A row due, as listed: what its claim needs."""

    id: int
    action: str
    in_doubt: bool


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
            for row in rows:
                self._let_people_first(patience)
                claimed_at = now + timedelta(seconds=time.monotonic() - started)
                sent += self._deliver_one(row, now, claimed_at, shown)
        return sent

    def _let_people_first(self, patience: float) -> None:
        """Messages to others wait while people wait for their own answer (the interpreter
        is shared), but a pass never waits more than YIELD_AT_MOST in all."""
        left = patience - time.monotonic()
        if self._yield_to is not None and left > 0:
            self._yield_to(left)

    def _due(self, now: datetime, limit: int) -> list[_Due]:
        with unit_of_work(self._engine) as session:
            rows = session.exec(_DUE, params={"now": now, "limit": limit}).all()
        return [_Due(row_id, action, bool(in_doubt)) for row_id, action, in_doubt in rows if row_id]

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
        except SlackApiError as exc:
            response = exc.response
            status = int(getattr(response, "status_code", 200) or 200)
            if status >= 500:
                error = f"http_{status}"  # the answer of a load balancer: the post may have landed
            else:
                error = str(response.get("error") or "unknown_error")
                attempt.in_doubt = False  # Slack answered: nothing was posted
            if error not in EXPECTED and not error.startswith("http_"):
                logger.exception("unexpected Slack error outbox=%s error=%s", row_id, error)
            self._record_failure(row_id, now, error, getattr(response, "headers", {}), attempt)
        except Exception as exc:
            # Timeouts, dropped connections, database errors, bugs: all retried later.
            logger.exception("delivery attempt failed outbox=%s", row_id)
            self._record_failure(row_id, now, f"{type(exc).__name__}: {exc}", {}, attempt)
        return 0

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
        rendered: _Rendered | None = None
        with unit_of_work(self._engine) as session:  # one read: whether to send, and what
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            team_id = self._team(session, row.account_id)
            slack = self._slack(team_id)
            closed = Kind(row.kind) in REMINDERS and not _request_pending(session, row)
            opens = now if closed or slack is None else self._opens(session, row, now, slack)
            if not closed and slack is not None and opens <= now:
                rendered = self._render(session, row, slack, shown)
        if closed:
            self._release(row_id, attempt, status=OutboxStatus.CANCELLED)
            self._on_result("cancelled")
            logger.info("reminder of a closed request cancelled outbox=%s", row_id)
            return False
        if slack is None:
            self._release(row_id, attempt, next_attempt_at=now + NOT_INSTALLED_WAIT)
            self._on_result("held")
            logger.info("delivery held: workspace not installed outbox=%s team=%s", row_id, team_id)
            return False
        if opens > now:
            self._release(row_id, attempt, next_attempt_at=opens)
            self._on_result("held")
            logger.info("delivery held outbox=%s until=%s", row_id, opens.isoformat())
            return False
        assert rendered is not None
        assert slack is not None
        if rendered.target is not None:
            target = rendered.target
            slack.client.chat_update(channel=target.channel, ts=target.ts, **rendered.payload)
            self._sent(row_id, now, None, rendered.state, attempt)
            return True
        if attempt.in_doubt:
            found = self._find_posted(row_id, rendered, slack)
            if found is not None:
                logger.info("post in doubt had landed outbox=%s ts=%s", row_id, found["ts"])
                self._sent(row_id, now, found, rendered.state, attempt)
                return True
        attempt.in_doubt = True
        response = slack.client.chat_postMessage(
            channel=rendered.recipient,
            metadata={"event_type": METADATA_TYPE, "event_payload": {"outbox_id": row_id}},
            **rendered.payload,
        )
        data = response.data
        assert isinstance(data, dict)
        posted = {"channel": str(data["channel"]), "ts": str(data["ts"])}
        self._sent(row_id, now, posted, rendered.state, attempt)
        return True

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
        # so the message, the names and the state token all read this one row, not three.
        subject = session.get(ChangeRequest, row.request_id) if row.request_id else None
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

    def _sent(
        self,
        row_id: int,
        now: datetime,
        posted: dict[str, str] | None,
        rendered: str | None,
        attempt: _Attempt,
    ) -> None:
        attempt.in_doubt = False
        with unit_of_work(self._engine, write=True) as session:
            # Sent even if cancelled meanwhile: it is on screen, and is refreshed below.
            marked = session.execute(_MARK_SENT, {"row_id": row_id, "by": self.id, "now": now}).first()
            if marked is None:
                logger.warning("lease lost outbox=%s sender=%s", row_id, self.id)
                return  # the sender that took over finds the post by its metadata
            row = _SentRow(*marked)
            refresh = REFRESH_OF.get(Kind(row.kind))
            if posted is not None and refresh is not None:
                copy = {
                    "account_id": row.account_id,
                    "request_id": row.request_id,
                    "alert_id": row.alert_id,
                    "purpose": PURPOSE_OF.get(Kind(row.kind), Kind(row.kind)).value,
                    "recipient_id": row.recipient if row.recipient.startswith(("U", "W")) else None,
                    "channel": posted["channel"],
                    "ts": posted["ts"],
                    "created_at": now,
                    "updated_at": now,
                }
                copy_id = session.execute(_NEW_COPY, copy).scalar_one()
                # Locked read: a change committing right now either sees this copy (and
                # refreshes it) or is seen here; never neither.
                current = state_token(session, row, lock=True)
                if current != rendered:
                    # It changed while this message was on its way: bring it up to date.
                    newer = Message(
                        refresh,
                        posted["channel"],
                        f"refresh:{row.kind}:{copy_id}:{current}",
                        request_id=row.request_id,
                        alert_id=row.alert_id,
                        slack_message_id=copy_id,
                    )
                    record(session, account_id=row.account_id, at=now, messages=[newer])
        self._on_result("sent")
        logger.info("delivered outbox=%s", row_id)

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
