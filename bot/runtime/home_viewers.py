"""Whether a person's App Home is worth redrawing (`bot.services.home_viewers`), remembered.

Once someone has opened their home, they always have: that is remembered in the
process, so that neither a redraw nor a later opening asks the database again.
Who has not (yet) is asked each time: another replica may have seen them open it.
"""

from __future__ import annotations

import threading
from datetime import datetime

from cachetools import LRUCache
from sqlalchemy import Engine

from bot.services.home_viewers import note_home_opened, opened_home
from storage.engine import unit_of_work


class HomeViewers:
    def __init__(self, engine: Engine, *, size: int = 100_000) -> None:
        self._engine = engine
        self._known: LRUCache[tuple[str, str], bool] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def opened(self, *, team_id: str, user_id: str, now: datetime) -> None:
        """`user_id` opened their home (Slack's `app_home_opened`)."""
        if self._remembered(team_id, user_id):
            return
        with unit_of_work(self._engine, write=True) as session:
            note_home_opened(session, team_id=team_id, user_id=user_id, now=now)
        self._remember(team_id, user_id)

    def which_opened(self, team_id: str, user_ids: list[str]) -> set[str]:
        """Those of `user_ids` who have ever opened their home (so it is worth redrawing):
        the ones not remembered are asked in one statement."""
        known = {user_id for user_id in user_ids if self._remembered(team_id, user_id)}
        unknown = [user_id for user_id in dict.fromkeys(user_ids) if user_id not in known]
        if not unknown:
            return known
        with unit_of_work(self._engine, snapshot=False) as session:
            found = opened_home(session, team_id=team_id, user_ids=unknown)
        for user_id in found:
            self._remember(team_id, user_id)
        return known | found

    def _remembered(self, team_id: str, user_id: str) -> bool:
        with self._lock:
            return (team_id, user_id) in self._known

    def _remember(self, team_id: str, user_id: str) -> None:
        with self._lock:
            self._known[(team_id, user_id)] = True
