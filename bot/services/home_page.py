"""App Home's content: the summary, your requests and, for approvers, the queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.services.actors import load_actor
from bot.services.request_lists import Overview, overview_for
from bot.services.summary import Summary, summary_for


@dataclass(frozen=True)
class HomePage:
    summary: Summary
    requests: Overview


def home_page(
    session: Session, *, team_id: str, user_id: str, limit: int = 8, now: datetime | None = None
) -> HomePage:
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    return HomePage(summary_for(session, actor, now=now), overview_for(session, actor, limit=limit))
