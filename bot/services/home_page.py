"""App Home's content: the summary, your requests, for approvers the queue, and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.services.account_settings import AccountSettings, settings_for
from bot.services.actors import load_actor
from bot.services.request_lists import Overview, overview_for
from bot.services.summary import Summary, summary_for


@dataclass(frozen=True)
class HomePage:
    summary: Summary
    requests: Overview
    settings: AccountSettings | None
    """None for members, who see nothing of them."""


def home_page(
    session: Session, *, team_id: str, user_id: str, limit: int = 8, now: datetime | None = None
) -> HomePage:
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    return HomePage(
        summary_for(session, actor, now=now),
        overview_for(session, actor, limit=limit),
        settings_for(session, actor),
    )
