"""The audit log, exported whole (CSV or JSON Lines-free JSON array)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Account, AuditEvent

COLUMNS = ["id", "team_id", "at", "actor_id", "action", "subject_type", "subject_id", "before", "after"]


def audit_rows(session: Session, *, team_id: str | None = None) -> list[dict[str, Any]]:
    query = select(AuditEvent, Account.team_id).where(AuditEvent.account_id == Account.id)
    if team_id:
        query = query.where(Account.team_id == team_id)
    rows = session.exec(query.order_by(col(AuditEvent.id))).all()
    return [
        {
            "id": event.id,
            "team_id": team,
            "at": event.at.isoformat(),
            "actor_id": event.actor_id,
            "action": event.action,
            "subject_type": event.subject_type,
            "subject_id": event.subject_id,
            "before": event.before,
            "after": event.after,
        }
        for event, team in rows
    ]


def to_json(rows: Iterable[dict[str, Any]]) -> str:
    return json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n"


def to_csv(rows: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                **row,
                "before": json.dumps(row["before"], ensure_ascii=False) if row["before"] is not None else "",
                "after": json.dumps(row["after"], ensure_ascii=False) if row["after"] is not None else "",
            }
        )
    return buffer.getvalue()
