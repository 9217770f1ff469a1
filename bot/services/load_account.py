"""Create or update an account from its file, idempotently.

Every change is an audit event with before/after; loading the same file
twice changes nothing and records nothing. Nothing is deleted: a product
missing from the file is kept and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from bot.domain.account_file import AccountFile
from bot.domain.durations import parse_duration
from bot.services import ledger
from bot.services.recording import Event, record
from bot.services.schedule import next_due
from storage import repositories as repo
from storage.models import (
    Account,
    ChangeRequest,
    Product,
    RequestStatus,
    Role,
    RoleGrant,
)


@dataclass
class LoadReport:
    account_id: int
    created: bool
    changes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Products in the database that the file no longer lists."""


def load_account(
    session: Session, *, data: AccountFile, team_id: str, now: datetime, actor_id: str | None = None
) -> LoadReport:
    """Only ids are stored: the file's names must have been looked up (read_account_file).

    `actor_id`: who made the change from Slack (settings, onboarding), kept in its audit
    events; None for a file loaded from the command line."""
    if data.names():
        raise ValueError(f"names left to look up: {', '.join(name for _, name in data.names())}")
    account = repo.account_by_team(session, team_id=team_id)
    created = account is None
    if account is None:
        account = Account(team_id=team_id, name=data.account.name, created_at=now, updated_at=now)
        session.add(account)
    wanted = _account_fields(data)
    before = {k: getattr(account, k) for k in wanted} if not created else None
    # A new account records every field; an existing one only what differs.
    changed = dict(wanted) if created else {k: v for k, v in wanted.items() if getattr(account, k) != v}
    for key, value in changed.items():
        setattr(account, key, value)
    session.flush()
    assert account.id is not None
    report = LoadReport(account_id=account.id, created=created)
    if created or changed:
        account.updated_at = now
        event = Event(
            "account.created" if created else "account.updated",
            "account",
            team_id,
            actor_id=actor_id,
            before={k: before[k] for k in changed} if before else None,
            after=_jsonable(changed),
        )
        record(session, account_id=account.id, at=now, event=event)
        report.changes.append("account created" if created else f"account: {', '.join(changed)}")
    if POLICY_FIELDS & changed.keys():
        _reschedule_pending(session, account)
    _sync_products(session, account.id, data, now, report, actor_id)
    _sync_roles(session, account.id, data, now, report, actor_id)
    _sync_agents(session, account.id, data, now, report)
    return report


POLICY_FIELDS = frozenset(
    {"nudge_after_s", "nudge_every_s", "max_nudges", "expire_after_s", "alerts_channel"}
)
"""What the scheduler's due times are computed from."""


def _reschedule_pending(session: Session, account: Account) -> None:
    """The policy changed: pending requests get due times from the new one (sooner or later)."""
    pending = session.exec(
        select(ChangeRequest).where(
            ChangeRequest.account_id == account.id,
            ChangeRequest.status == RequestStatus.PENDING.value,
        )
    ).all()
    for request in pending:
        repo.update_if_pending(session, request.id or 0, next_due_at=next_due(account, request))


def _account_fields(data: AccountFile) -> dict[str, Any]:
    policy = data.policy
    start, end = policy.working_hours.split("-")
    return {
        "name": data.account.name,
        "plan": data.account.plan.value,
        "change_requests": data.account.change_requests,
        "currency": data.account.currency,
        "alerts_channel": data.account.alerts_channel,
        "sales_contact": data.account.sales_contact,
        "nudge_after_s": int(parse_duration(policy.nudge_after).total_seconds()),
        "nudge_every_s": int(parse_duration(policy.nudge_every).total_seconds()),
        "max_nudges": policy.max_nudges,
        "expire_after_s": int(parse_duration(policy.expire_after).total_seconds()),
        "work_start": start,
        "work_end": end,
        "alert_threshold_pct": policy.alert_threshold,
        "timezone": data.account.timezone,
        "idle_after_s": int(parse_duration(policy.idle_after).total_seconds()),
    }


def _sync_products(
    session: Session,
    account_id: int,
    data: AccountFile,
    now: datetime,
    report: LoadReport,
    actor_id: str | None,
) -> None:
    existing = {p.key: p for p in repo.products(session, account_id=account_id)}
    for position, item in enumerate(data.products):
        wanted: dict[str, Any] = {
            "name": item.name,
            "edition": item.edition,
            "seats": item.seats,
            "price_per_seat": item.price_per_seat,
            "suite": item.suite,
            "position": position,
            "allowance_seats": item.allowance.seats_per_month if item.allowance else None,
            "allowance_cost": item.allowance.cost_per_month if item.allowance else None,
        }
        product = existing.pop(item.key, None)
        if product is None:
            product = Product(account_id=account_id, key=item.key, created_at=now, updated_at=now, **wanted)
            session.add(product)
            before = None
            changed = wanted
        else:
            changed = {k: v for k, v in wanted.items() if getattr(product, k) != v}
            if not changed:
                continue
            before = {k: getattr(product, k) for k in changed}
            for key, value in changed.items():
                setattr(product, key, value)
            product.updated_at = now
        event = Event(
            "product.created" if before is None else "product.updated",
            "product",
            item.key,
            actor_id=actor_id,
            before=_jsonable(before) if before else None,
            after=_jsonable(changed),
        )
        record(session, account_id=account_id, at=now, event=event)
        report.changes.append(f"product {item.key}: {', '.join(changed)}")
    report.kept.extend(sorted(existing))


def _sync_roles(
    session: Session,
    account_id: int,
    data: AccountFile,
    now: datetime,
    report: LoadReport,
    actor_id: str | None,
) -> None:
    wanted = {data.roles.owner: Role.OWNER}
    wanted.update({u: Role.BILLING_ADMIN for u in data.roles.billing_admins})
    wanted.update({u: Role.ADMIN for u in data.roles.admins})
    grants = {g.user_id: g for g in repo.role_grants(session, account_id=account_id)}
    # Revoke first, and flush, so that handing the owner role to someone else
    # never trips the one-owner index half-way.
    for user_id, grant in list(grants.items()):
        if wanted.get(user_id) != Role(grant.role):
            _audit_role(session, account_id, now, user_id, grant.role, None, actor_id)
            session.delete(grant)
            del grants[user_id]
            if user_id not in wanted:
                report.changes.append(f"role of {user_id}: {grant.role} revoked")
    session.flush()
    for user_id, role in wanted.items():
        if user_id in grants:
            continue
        session.add(RoleGrant(account_id=account_id, user_id=user_id, role=role.value, granted_at=now))
        _audit_role(session, account_id, now, user_id, None, role.value, actor_id)
        report.changes.append(f"role of {user_id}: {role.value}")
    session.flush()


def _audit_role(
    session: Session,
    account_id: int,
    now: datetime,
    user_id: str,
    before: str | None,
    after: str | None,
    actor_id: str | None,
) -> None:
    event = Event(
        "role.changed",
        "user",
        user_id,
        actor_id=actor_id,
        before={"role": before} if before else None,
        after={"role": after} if after else None,
    )
    record(session, account_id=account_id, at=now, event=event)


def _sync_agents(
    session: Session, account_id: int, data: AccountFile, now: datetime, report: LoadReport
) -> None:
    session.flush()
    products = {p.key: p for p in repo.products(session, account_id=account_id)}
    agents = [
        ledger.Agent(agent.user, products[agent.product], (agent.assigned_at or now).astimezone(UTC))
        for agent in data.agents
    ]
    for agent in ledger.load_agents(session, account_id=account_id, agents=agents, now=now):
        report.changes.append(f"seat of {agent.product.key} for {agent.user_id}")
    activity = [
        (products[a.product].id or 0, a.user, a.last_active.astimezone(UTC))
        for a in data.agents
        if a.last_active
    ]
    if repo.record_activity(session, account_id=account_id, seen=activity):
        report.changes.append("agents' last activity")


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}
