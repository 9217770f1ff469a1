"""What the benchmark measures against: a private database and generated account files."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import update
from sqlmodel import col

from storage.engine import make_engine
from storage.models import Account

TEAM = "T0SEATBOT"
ALERTS_TEAM = "T0ALERTS"
OWNER = "U0OWNER"
ALERTS_CHANNEL = "C0ALERTS"


@dataclass(frozen=True)
class People:
    owner: str
    billing_admins: list[str]
    admins: list[str]

    @property
    def approvers(self) -> list[str]:
        return [self.owner, *self.billing_admins]

    @property
    def everyone(self) -> list[str]:
        return [*self.approvers, *self.admins]


def people(admins: int, billing_admins: int) -> People:
    return People(
        owner=OWNER,
        billing_admins=[f"U0BILL{i:03d}" for i in range(billing_admins)],
        admins=[f"U0ADM{i:05d}" for i in range(admins)],
    )


def write_account(path: Path, who: People, *, products: int) -> None:
    """The account the flows run on: `products` products, roles, a few agents, no early warning."""
    keys = ["support", *(f"prod{i:02d}" for i in range(1, products))]
    data = {
        "account": {
            "name": "Bench",
            "team_id": TEAM,
            "plan": "self_service",
            "change_requests": True,
            "currency": "EUR",
            "alerts_channel": ALERTS_CHANNEL,
        },
        "roles": {"owner": who.owner, "billing_admins": who.billing_admins, "admins": who.admins},
        "products": [
            {
                "key": key,
                "name": key.capitalize(),
                "edition": "Professional",
                "seats": 1000,
                "price_per_seat": 10,
            }
            for key in keys
        ],
        # A month of history (a seat a day), so the run-out forecast has something to read.
        "agents": [
            {"user": f"U0AG{i:05d}", "product": "support", "assigned_at": _days_ago(30 - i)}
            for i in range(20)
        ],
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def age_account(url: str, *, team_id: str = TEAM, days: int = 60) -> None:
    """Make the loaded account `days` old, as a real one is: its forecasts are then read on
    every summary and form, as they would be."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            aged = datetime.now(UTC) - timedelta(days=days)
            connection.execute(update(Account).where(col(Account.team_id) == team_id).values(created_at=aged))
    finally:
        engine.dispose()


def write_alerts_account(path: Path, *, products: int, agents: int) -> None:
    """A second workspace for the out-of-licences check: `agents` seats spread over
    `products` products, every other product exactly full (so the check opens alerts)."""
    per_product = agents // products
    data = {
        "account": {
            "name": "Bench alerts",
            "team_id": ALERTS_TEAM,
            "plan": "self_service",
            "change_requests": True,
            "currency": "EUR",
            "alerts_channel": ALERTS_CHANNEL,
        },
        "roles": {"owner": OWNER},
        "products": [
            {
                "key": f"p{i:02d}",
                "name": f"Product {i}",
                "edition": "Team",
                "seats": per_product if i % 2 == 0 else per_product + 10,
            }
            for i in range(products)
        ],
        "agents": [
            {"user": f"U0AL{n:05d}", "product": f"p{n % products:02d}"} for n in range(per_product * products)
        ],
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@contextlib.contextmanager
def database(kind: str, workdir: Path, server_url: str) -> Iterator[str]:
    """A private database URL, dropped (PostgreSQL) or left in the scratch dir (SQLite) at the end."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import psycopg

    name = f"seatbot_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin_url = server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
