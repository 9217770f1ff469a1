"""Test data: account files and accounts, built from the same file format users write."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from bot.domain.account_file import AccountFile
from bot.services.load_account import LoadReport, load_account
from storage.engine import unit_of_work

TEAM = "T0SEATBOT"

BASE: dict[str, Any] = {
    "account": {
        "name": "Acme Support",
        "plan": "self_service",
        "change_requests": True,
        "currency": "EUR",
        "alerts_channel": "C0ALERTS",
    },
    "roles": {"owner": "U0OWNER", "billing_admins": ["U0BILL"], "admins": ["U0ADMIN"]},
    "products": [
        {"key": "support", "name": "Support", "edition": "Professional", "seats": 10, "price_per_seat": 115},
        {"key": "guide", "name": "Guide", "edition": "Professional", "seats": 5, "price_per_seat": 49},
        {"key": "talk", "name": "Talk", "edition": "Team", "seats": 2},
    ],
    "agents": [
        {"user": "U0AG1", "product": "support", "assigned_at": "2026-01-05T09:00:00Z"},
        {"user": "U0AG2", "product": "support", "assigned_at": "2026-02-10T09:00:00Z"},
        {"user": "U0AG1", "product": "talk", "assigned_at": "2026-01-05T09:00:00Z"},
        {"user": "U0AG2", "product": "talk", "assigned_at": "2026-02-10T09:00:00Z"},
    ],
}


def account_data(**overrides: Any) -> dict[str, Any]:
    """The base account as a dict; `overrides` replace whole top-level sections."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(overrides))
    return data


def account_file(**overrides: Any) -> AccountFile:
    return AccountFile.model_validate(account_data(**overrides))


def make_account(engine: Engine, *, now: datetime, team_id: str = TEAM, **overrides: Any) -> LoadReport:
    with unit_of_work(engine, write=True) as session:
        return load_account(session, data=account_file(**overrides), team_id=team_id, now=now)
