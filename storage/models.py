"""Tables for every entity of the product contract (SPEC section 1).

Rules the database can hold are declared here, so that no code path can
break them: one owner per account, one pending request per requester,
non-negative seat counts, a closed request always has its closing time.
Audit events are append-only (triggers in the first migration).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

MAX_SEATS = 100_000
"""Sanity ceiling for a licensed seat count; larger numbers are typos."""

SLACK_ID = 32
"""Slack ids (team, user, channel) are short; the margin is for Enterprise Grid."""


class Plan(StrEnum):
    SELF_SERVICE = "self_service"
    SALES_ASSISTED = "sales_assisted"


class Role(StrEnum):
    OWNER = "owner"
    BILLING_ADMIN = "billing_admin"
    ADMIN = "admin"
    MEMBER = "member"
    """Never stored: anyone without a grant."""


class RequestStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    APPLIED = "applied"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class Account(SQLModel, table=True):
    """One per Slack workspace, keyed by the team id."""

    __tablename__ = "account"
    __table_args__ = (
        CheckConstraint(_in("plan", [p.value for p in Plan]), name="ck_account_plan"),
        CheckConstraint("length(currency) = 3", name="ck_account_currency"),
        CheckConstraint(
            "nudge_after_s > 0 AND nudge_every_s > 0 AND expire_after_s > 0 AND max_nudges >= 0",
            name="ck_account_policy",
        ),
        CheckConstraint("idle_after_s > 0", name="ck_account_idle_after"),
        CheckConstraint(
            "alert_threshold_pct IS NULL OR (alert_threshold_pct > 0 AND alert_threshold_pct < 100)",
            name="ck_account_threshold",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=SLACK_ID, unique=True)
    name: str = Field(max_length=200)
    plan: str = Field(max_length=20, default=Plan.SELF_SERVICE.value)
    change_requests: bool = True
    currency: str = Field(max_length=3, default="EUR")
    alerts_channel: str | None = Field(default=None, max_length=SLACK_ID)
    sales_contact: str | None = Field(default=None, max_length=SLACK_ID)
    nudge_after_s: int = 24 * 3600
    nudge_every_s: int = 24 * 3600
    max_nudges: int = 3
    expire_after_s: int = 14 * 24 * 3600
    work_start: str = Field(default="09:00", max_length=5)
    work_end: str = Field(default="18:00", max_length=5)
    alert_threshold_pct: int | None = None
    idle_after_s: int = 30 * 24 * 3600
    """An agent inactive this long holds a seat that could be freed before buying more."""
    timezone: str = Field(default="UTC", max_length=64)
    """The account's own time zone (IANA): where its month starts, for standing allowances."""
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    uninstalled_at: datetime | None = _utc(default=None)
    """When seatbot was uninstalled from the workspace (or its token revoked); None while
    installed. Nothing is sent for the account meanwhile: reminders and deliveries wait,
    kept, until it is installed again."""


class Product(SQLModel, table=True):
    """A licensed product (or add-on) of the account's subscription."""

    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("account_id", "key", name="uq_product_key"),
        CheckConstraint(f"seats >= 0 AND seats <= {MAX_SEATS}", name="ck_product_seats"),
        CheckConstraint("price_per_seat IS NULL OR price_per_seat >= 0", name="ck_product_price"),
        CheckConstraint(
            f"allowance_seats IS NULL OR (allowance_seats > 0 AND allowance_seats <= {MAX_SEATS})",
            name="ck_product_allowance_seats",
        ),
        CheckConstraint("allowance_cost IS NULL OR allowance_cost >= 0", name="ck_product_allowance_cost"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    key: str = Field(max_length=40)
    name: str = Field(max_length=80)
    edition: str = Field(max_length=80)
    seats: int
    price_per_seat: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))
    suite: str | None = Field(default=None, max_length=40)
    position: int = 0
    """Display order, as listed in the account file."""
    allowance_seats: int | None = None
    """Standing allowance: seats a month that requests get without an approver (None: none)."""
    allowance_cost: Decimal | None = Field(default=None, sa_type=Numeric(12, 2))
    """…and at most this much more a month, in the account's currency (None: no cost cap)."""
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class RoleGrant(SQLModel, table=True):
    """A Slack user's role on the account; members have no row."""

    __tablename__ = "role_grant"
    __table_args__ = (
        UniqueConstraint("account_id", "user_id", name="uq_role_user"),
        CheckConstraint(
            _in("role", [Role.OWNER.value, Role.BILLING_ADMIN.value, Role.ADMIN.value]),
            name="ck_role_grant_role",
        ),
        Index(
            "uq_role_one_owner",
            "account_id",
            unique=True,
            sqlite_where=text("role = 'owner'"),
            postgresql_where=text("role = 'owner'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    user_id: str = Field(max_length=SLACK_ID)
    role: str = Field(max_length=20)
    granted_at: datetime = _utc()
    granted_by: str | None = Field(default=None, max_length=SLACK_ID)


class SeatAssignment(SQLModel, table=True):
    """An agent holding a seat of a product. Used seats = rows of the product."""

    __tablename__ = "seat_assignment"
    __table_args__ = (UniqueConstraint("product_id", "user_id", name="uq_seat_user"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    user_id: str = Field(max_length=SLACK_ID)
    assigned_at: datetime = _utc()
    assigned_by: str | None = Field(default=None, max_length=SLACK_ID)
    last_active_at: datetime | None = _utc(default=None)
    """When the agent last worked in the product, where a usage export says so (None: unknown)."""
    deactivated_at: datetime | None = _utc(default=None)
    """When Slack said the holder was deactivated (None: active, as far as seatbot was told)."""


class ChangeRequest(SQLModel, table=True):
    """A seat change sent by an admin, waiting for (or past) a decision."""

    __tablename__ = "change_request"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in RequestStatus]), name="ck_request_status"),
        CheckConstraint(
            "(status = 'pending' AND decided_at IS NULL) OR (status <> 'pending' AND decided_at IS NOT NULL)",
            name="ck_request_closed_at",
        ),
        CheckConstraint("nudge_count >= 0", name="ck_request_nudges"),
        # SPEC: one pending request per requester, held by the database itself.
        Index(
            "uq_request_one_pending",
            "account_id",
            "requester_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        # A click or submission replayed (Slack retry, double click, two clicks on one
        # offer) carries the same key, and the database takes it once.
        UniqueConstraint("account_id", "idempotency_key", name="uq_request_idempotency"),
        # A person's own requests (App Home, `/seats requests`) without scanning the account's.
        Index("ix_request_requester", "account_id", "requester_id"),
        # The scheduler reads only what is due: the index grows with open requests, not history.
        Index(
            "ix_request_due",
            "next_due_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    """Indexed first in `ix_request_requester`, which every read by account goes through."""
    requester_id: str = Field(max_length=SLACK_ID)
    direct: bool = False
    """A change the owner or a billing admin made directly: recorded as applied at once."""
    justification: str = Field(default="", sa_type=Text)
    status: str = Field(default=RequestStatus.PENDING.value, max_length=20)
    """Pending requests are read through the partial indexes above; the rest by account."""
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    decided_at: datetime | None = _utc(default=None)
    decided_by: str | None = Field(default=None, max_length=SLACK_ID)
    decline_reason: str | None = Field(default=None, sa_type=Text)
    applied_at: datetime | None = _utc(default=None)
    nudge_count: int = 0
    last_nudged_at: datetime | None = _utc(default=None)
    escalated_at: datetime | None = _utc(default=None)
    next_due_at: datetime | None = _utc(default=None)
    """When the scheduler next has something to do for this pending request
    (a reminder, the escalation or the expiry); None once it is closed."""
    version: int = 1
    """Raised by each amendment: a decision taken on an older version is refused."""
    idempotency_key: str | None = Field(default=None, max_length=200)
    """What made this change (a modal's view id, a Buy offer): the same thing twice is one change."""


class ChangeRequestLine(SQLModel, table=True):
    """One product of a change request: from → to seats."""

    __tablename__ = "change_request_line"
    __table_args__ = (
        UniqueConstraint("request_id", "product_id", name="uq_request_line_product"),
        CheckConstraint(
            f"from_seats >= 0 AND to_seats >= 0 AND to_seats <= {MAX_SEATS} AND from_seats <> to_seats",
            name="ck_request_line_seats",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="change_request.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    from_seats: int
    to_seats: int
    releases: list[str] | None = Field(default=None, sa_column=Column(JSON))
    """For a reduction below usage: the agents, most recently assigned first,
    who lose their seat. Approval applies exactly these, or refuses if usage moved."""


class SlackMessage(SQLModel, table=True):
    """A message seatbot posted and may have to update later, even after a restart."""

    __tablename__ = "slack_message"
    __table_args__ = (UniqueConstraint("channel", "ts", name="uq_slack_message"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    request_id: int | None = Field(default=None, foreign_key="change_request.id", index=True)
    alert_id: int | None = Field(default=None, foreign_key="seat_alert.id", index=True)
    purpose: str = Field(max_length=30)
    recipient_id: str | None = Field(default=None, max_length=SLACK_ID)
    channel: str = Field(max_length=SLACK_ID)
    ts: str = Field(max_length=32)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class AuditEvent(SQLModel, table=True):
    """Append-only record of a state change: who, what, when, before/after."""

    __tablename__ = "audit_event"
    # What its readers ask (an account's events since a date): one index, not one a column.
    __table_args__ = (Index("ix_audit_event_account_at", "account_id", "at"),)

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    account_id: int = Field(foreign_key="account.id")
    at: datetime = _utc()
    actor_id: str | None = Field(default=None, max_length=SLACK_ID)
    """Slack user, or None for seatbot itself (scheduler, file load)."""
    action: str = Field(max_length=60)
    subject_type: str = Field(max_length=30)
    subject_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


__all__ = [
    "MAX_SEATS",
    "Account",
    "AlertLevel",
    "AuditEvent",
    "ChangeRequest",
    "ChangeRequestLine",
    "OutboxMessage",
    "OutboxStatus",
    "PendingAssignment",
    "Plan",
    "Product",
    "RequestStatus",
    "Role",
    "RoleGrant",
    "SeatAlert",
    "SeatAssignment",
    "SlackMessage",
    "WaitingStatus",
]


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    """Gave up: Slack said the message can never be delivered (e.g. channel_not_found)."""
    CANCELLED = "cancelled"
    """No longer worth sending: a reminder or escalation of a request closed meanwhile."""


class OutboxMessage(SQLModel, table=True):
    """A message to someone other than the clicking person, stored in the same
    transaction as the change that causes it and delivered after commit.

    What to say is rendered at delivery time from `kind` + the current state
    (so a retried approval DM already shows a decision taken meanwhile);
    `dedupe_key` makes enqueueing idempotent; `claimed_until` is a lease so
    that several replicas never send the same row at once.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe"),
        CheckConstraint(_in("status", [s.value for s in OutboxStatus]), name="ck_outbox_status"),
        CheckConstraint(_in("action", ["post", "update"]), name="ck_outbox_action"),
        CheckConstraint("attempts >= 0", name="ck_outbox_attempts"),
        Index(
            "ix_outbox_due",
            "next_attempt_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id")
    """Not indexed: nothing reads messages by account (each is a write to every index)."""
    request_id: int | None = Field(default=None, foreign_key="change_request.id", index=True)
    alert_id: int | None = Field(default=None, foreign_key="seat_alert.id")
    kind: str = Field(max_length=40)
    action: str = Field(default="post", max_length=10)
    recipient: str = Field(max_length=SLACK_ID)
    """User id (delivered as a DM) or channel id."""
    slack_message_id: int | None = Field(default=None, foreign_key="slack_message.id")
    """For `update`: the stored message to rewrite."""
    params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    dedupe_key: str = Field(max_length=200)
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    claimed_until: datetime | None = _utc(default=None)
    claimed_by: str | None = Field(default=None, max_length=64)
    """The sender holding the lease; only it may renew or release it."""
    in_doubt: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """A post was attempted and its outcome is unknown (timeout, crash): before posting
    again, the sender looks for the message by its metadata."""
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(default=None)


class WaitingStatus(StrEnum):
    WAITING = "waiting"
    DONE = "done"
    CANCELLED = "cancelled"


class PendingAssignment(SQLModel, table=True):
    """Someone to be given a seat as soon as one is free ("on the fly")."""

    __tablename__ = "pending_assignment"
    __table_args__ = (
        CheckConstraint(_in("status", [s.value for s in WaitingStatus]), name="ck_pending_assignment_status"),
        Index(
            "uq_pending_assignment_waiting",
            "product_id",
            "user_id",
            unique=True,
            sqlite_where=text("status = 'waiting'"),
            postgresql_where=text("status = 'waiting'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    user_id: str = Field(max_length=SLACK_ID)
    requested_by: str = Field(max_length=SLACK_ID)
    status: str = Field(default=WaitingStatus.WAITING.value, max_length=10)
    created_at: datetime = _utc()
    closed_at: datetime | None = _utc(default=None)


class AlertLevel(StrEnum):
    WARNING = "warning"
    """At or above the account's early-warning threshold."""
    FULL = "full"
    """Every seat in use."""


class AllowanceUse(SQLModel, table=True):
    """What a product's standing allowance has given in one month of the account's time zone.

    Taken with a conditional UPDATE (`seats + n <= allowance`), so two requests racing for
    the last of it get one approval between them."""

    __tablename__ = "allowance_use"
    __table_args__ = (
        UniqueConstraint("product_id", "month", name="uq_allowance_month"),
        CheckConstraint("seats >= 0 AND cost >= 0", name="ck_allowance_use"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    month: str = Field(max_length=7)
    """YYYY-MM, in the account's time zone."""
    seats: int = 0
    cost: Decimal = Field(default=Decimal(0), sa_type=Numeric(12, 2))


class SeatAlert(SQLModel, table=True):
    """One out-of-licences episode of a product: opened when it fills up, closed
    when a seat frees up. At most one open episode per product, so one alert."""

    __tablename__ = "seat_alert"
    __table_args__ = (
        CheckConstraint(_in("level", [lvl.value for lvl in AlertLevel]), name="ck_seat_alert_level"),
        Index(
            "uq_seat_alert_open",
            "product_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    level: str = Field(max_length=10)
    channel: str = Field(max_length=SLACK_ID)
    opened_at: datetime = _utc()
    updated_at: datetime = _utc()
    closed_at: datetime | None = _utc(default=None)
    revision: int = 0
    """Bumped on every change, so each state of the alert message is sent once."""


class HomeViewer(SQLModel, table=True):
    """Someone who has opened seatbot's App Home in a workspace. After a change only their
    homes are redrawn; anyone else's is drawn the first time they open it."""

    __tablename__ = "home_viewer"

    team_id: str = Field(primary_key=True, max_length=SLACK_ID)
    user_id: str = Field(primary_key=True, max_length=SLACK_ID)
    first_opened_at: datetime = _utc()
