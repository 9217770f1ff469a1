"""The account as its file (`seatbot config export`): what `load_account` reads back unchanged.

The file states everything the account file can hold: settings, policy, roles,
products in their order, and who holds which seat since when. Waiting lists,
requests and the audit log are history, not configuration, and stay out.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.domain.account_file import AccountFile
from bot.domain.durations import format_duration
from storage import repositories as repo
from storage.models import Account, Role


def export_account(session: Session, *, account: Account) -> AccountFile:
    """The account's file. Built through the file's own schema, so an export that `load`
    would refuse fails here rather than later."""
    assert account.id is not None
    products = repo.products(session, account_id=account.id)
    holders = repo.holders_by_role(session, account_id=account.id)
    keys = {p.id: p.key for p in products}
    order = {p.id: index for index, p in enumerate(products)}
    seats = sorted(
        repo.assignments(session, account_id=account.id),
        key=lambda a: (order[a.product_id], a.assigned_at, a.id or 0),
    )
    document: dict[str, Any] = {
        "account": account_fields(account),
        "roles": {
            "owner": next(iter(holders[Role.OWNER]), None),
            "billing_admins": holders[Role.BILLING_ADMIN],
            "admins": holders[Role.ADMIN],
        },
        "products": [
            {
                "key": p.key,
                "name": p.name,
                "edition": p.edition,
                "seats": p.seats,
                "price_per_seat": p.price_per_seat,
                "suite": p.suite,
                "allowance": None
                if p.allowance_seats is None
                else {"seats_per_month": p.allowance_seats, "cost_per_month": p.allowance_cost},
            }
            for p in products
        ],
        "agents": [
            {
                "user": a.user_id,
                "product": keys[a.product_id],
                "assigned_at": a.assigned_at,
                "last_active": a.last_active_at,
            }
            for a in seats
        ],
        "policy": policy_fields(account),
    }
    return AccountFile.model_validate(document)


def account_fields(account: Account) -> dict[str, Any]:
    """The file's `account` section."""
    return {
        "name": account.name,
        "team_id": account.team_id,
        "plan": account.plan,
        "change_requests": account.change_requests,
        "currency": account.currency,
        "alerts_channel": account.alerts_channel,
        "sales_contact": account.sales_contact,
        "timezone": account.timezone,
    }


def policy_fields(account: Account) -> dict[str, Any]:
    """The file's `policy` section."""
    return {
        "nudge_after": format_duration(account.nudge_after_s),
        "nudge_every": format_duration(account.nudge_every_s),
        "max_nudges": account.max_nudges,
        "expire_after": format_duration(account.expire_after_s),
        "working_hours": f"{account.work_start}-{account.work_end}",
        "alert_threshold": account.alert_threshold_pct,
        "idle_after": format_duration(account.idle_after_s),
    }
