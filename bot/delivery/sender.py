"""Deliver due outbox rows to Slack, exactly one sender per row at a time.

A row is claimed with a conditional UPDATE (a lease in `claimed_until`), so
several replicas sharing PostgreSQL, or several threads, never send the same
row twice at once. Slack errors are sorted into retry-later (rate limits,
5xx, timeouts) and never-deliverable (channel gone, user gone), which are
marked failed and logged; nothing is dropped silently.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, or_, update
from sqlmodel import Session, col, select

from bot.delivery.outbox import Kind, enqueue
from bot.delivery.render import PURPOSE_OF, REFRESH_OF, render, state_token
from bot.services.working_hours import next_working_time
from bot.slack.users import Profile, UserDirectory
from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import Account, ChangeRequest, OutboxMessage, OutboxStatus, Role, SlackMessage

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
"""Longer than the client's own retries can take (rate limits honour Retry-After), so a slow
send is never taken for a dead one and sent twice; a crashed sender's rows wait this long."""
_NO_PROFILE = Profile(user_id="", name="", locale=None, tz="UTC", is_bot=False, deleted=False)
MAX_BACKOFF = timedelta(hours=1)
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


class Sender:
    def __init__(self, *, engine: Engine, client: WebClient, users: UserDirectory) -> None:
        self._engine = engine
        self._client = client
        self._users = users

    def deliver_due(self, *, now: datetime, limit: int = 100, rounds: int = 5) -> int:
        """Send what is due; returns how many rows were sent.

        Sending can queue more (a copy posted just as the request was decided
        needs a refresh), so it goes round again until nothing new is due.
        """
        sent = 0
        for _ in range(rounds):
            ids = self._due(now, limit)
            if not ids:
                break
            sent += sum(self._deliver(row_id, now) for row_id in ids if self._claim(row_id, now))
        return sent

    def _due(self, now: datetime, limit: int) -> list[int]:
        with unit_of_work(self._engine) as session:
            ids = session.exec(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING.value,
                    col(OutboxMessage.next_attempt_at) <= now,
                    or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now),
                )
                .order_by(col(OutboxMessage.id))
                .limit(limit)
            ).all()
        return [row_id for row_id in ids if row_id is not None]

    def _claim(self, row_id: int, now: datetime) -> bool:
        with unit_of_work(self._engine, write=True) as session:
            claimed = repo.rowcount(
                session.execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.id) == row_id,
                        col(OutboxMessage.status) == OutboxStatus.PENDING.value,
                        or_(
                            col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now
                        ),
                    )
                    .values(claimed_until=now + LEASE)
                    .execution_options(synchronize_session=False)
                )
            )
        return bool(claimed == 1)

    def _deliver(self, row_id: int, now: datetime) -> bool:
        with unit_of_work(self._engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            if row.kind == Kind.NUDGE.value:
                account = session.get(Account, row.account_id)
                assert account is not None
                tz = (self._users.profile(row.recipient) or _NO_PROFILE).tz
                opens = next_working_time(now, tz=tz, start=account.work_start, end=account.work_end)
            else:
                opens = now
        if opens > now:
            self._hold(row_id, until=opens)
            return False
        with unit_of_work(self._engine) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            target = session.get(SlackMessage, row.slack_message_id) if row.slack_message_id else None
            reader = target.recipient_id if target and target.recipient_id else row.recipient
            if not reader.startswith(("U", "W")):  # a channel reads in its owner's language
                owners = repo.holders_of(session, account_id=row.account_id, roles=[Role.OWNER])
                reader = owners[0] if owners else reader
            language = self._users.language(reader) if reader.startswith(("U", "W")) else "en"
            names = self._names(session, row)
            reply = render(session, row, language=language, name_of=names)
            rendered = state_token(session, row)
        try:
            if target is not None:
                self._client.chat_update(channel=target.channel, ts=target.ts, **reply.payload())
                response = None
            else:
                response = self._client.chat_postMessage(channel=row.recipient, **reply.payload())
        except SlackApiError as exc:
            self._failed(row_id, now, str(exc.response.get("error")), exc.response.headers)
            return False
        except OSError as exc:  # timeouts and dropped connections, after the client's own retries
            self._failed(row_id, now, f"network: {exc}", {})
            return False
        self._sent(row_id, now, response, rendered)
        return True

    def _hold(self, row_id: int, *, until: datetime) -> None:
        """Not now (outside the reader's working hours): try again when they start."""
        with unit_of_work(self._engine, write=True) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            row.next_attempt_at, row.claimed_until = until, None
            session.add(row)
        logger.info("delivery held outbox=%s until=%s", row_id, until.isoformat())

    def _names(self, session: Session, row: OutboxMessage) -> dict[str, str]:
        """Display names for plain-text fallbacks (notifications can't show mentions)."""
        if not row.request_id:
            return {}
        request = session.get(ChangeRequest, row.request_id)
        profile = self._users.profile(request.requester_id) if request else None
        return {profile.user_id: profile.name} if profile else {}

    def _sent(self, row_id: int, now: datetime, response: object, rendered: str | None) -> None:
        with unit_of_work(self._engine, write=True) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            row.status, row.sent_at, row.claimed_until = OutboxStatus.SENT.value, now, None
            row.attempts += 1
            session.add(row)
            refresh = REFRESH_OF.get(Kind(row.kind))
            if response is not None and refresh is not None:
                data = response.data if hasattr(response, "data") else {}
                assert isinstance(data, dict)
                message = SlackMessage(
                    account_id=row.account_id,
                    request_id=row.request_id,
                    alert_id=row.alert_id,
                    purpose=PURPOSE_OF.get(Kind(row.kind), Kind(row.kind)).value,
                    recipient_id=row.recipient if row.recipient.startswith(("U", "W")) else None,
                    channel=str(data["channel"]),
                    ts=str(data["ts"]),
                    created_at=now,
                    updated_at=now,
                )
                session.add(message)
                session.flush()
                # Locked read: a change committing right now either sees this copy (and
                # refreshes it) or is seen here; never neither.
                current = state_token(session, row, lock=True)
                if current != rendered:
                    # It changed while this message was on its way: bring it up to date.
                    enqueue(
                        session,
                        account_id=row.account_id,
                        kind=refresh,
                        recipient=message.channel,
                        now=now,
                        request_id=row.request_id,
                        alert_id=row.alert_id,
                        dedupe_key=f"refresh:{row.kind}:{message.id}:{current}",
                        slack_message_id=message.id,
                    )
        logger.info("delivered outbox=%s", row_id)

    def _failed(self, row_id: int, now: datetime, error: str, headers: object) -> None:
        with unit_of_work(self._engine, write=True) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            row.attempts += 1
            row.claimed_until = None
            row.last_error = error[:500]
            if error in PERMANENT:
                row.status = OutboxStatus.FAILED.value
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
                delay = retry_after or min(timedelta(seconds=15 * 2 ** min(row.attempts, 10)), MAX_BACKOFF)
                row.next_attempt_at = now + delay
                logger.warning(
                    "delivery will be retried outbox=%s error=%s in=%ss",
                    row_id,
                    error,
                    int(delay.total_seconds()),
                )
            session.add(row)


def _report_to_owner(session: Session, row: OutboxMessage, error: str, now: datetime) -> None:
    """A channel message that can never be posted is not swallowed: the owner hears of it."""
    owners = repo.holders_of(session, account_id=row.account_id, roles=[Role.OWNER])
    if owners:
        enqueue(
            session,
            account_id=row.account_id,
            kind=Kind.UNDELIVERABLE,
            recipient=owners[0],
            dedupe_key=f"undeliverable:{row.recipient}:{error}:{row.id}",
            now=now,
            params={"channel": row.recipient, "error": error},
        )


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
