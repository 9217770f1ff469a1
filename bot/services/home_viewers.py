"""Who has opened seatbot's App Home: only their homes are redrawn after a change.

A home nobody has opened is never seen, and Slack sends `app_home_opened` the
first time it is, when it is drawn from the database as it is then: redrawing it
after every change before that would cost a summary, a request list and a
`views.publish` each time for nothing (a burst of requests would redraw every
requester's). Kept per workspace, not per account: a home opened before seatbot is
set up must be redrawn once it is.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from storage import repositories as repo
from storage.models import HomeViewer

_OPENED = select(HomeViewer.user_id).where(
    HomeViewer.team_id == bindparam("team_id"),
    col(HomeViewer.user_id).in_(bindparam("user_ids", expanding=True)),
)


def note_home_opened(session: Session, *, team_id: str, user_id: str, now: datetime) -> None:
    """Record that `user_id` has opened the home (once; opening it again records nothing)."""
    row = {"team_id": team_id, "user_id": user_id, "first_opened_at": now}
    repo.insert_ignoring(session, HomeViewer, row, key=("team_id", "user_id"))


def opened_home(session: Session, *, team_id: str, user_ids: list[str]) -> set[str]:
    """Those of `user_ids` who have opened the home, in one statement."""
    return set(session.exec(_OPENED, params={"team_id": team_id, "user_ids": user_ids}).all())
