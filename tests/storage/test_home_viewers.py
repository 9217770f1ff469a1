"""Who has opened App Home is asked once for a burst of people, and remembered once known."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from bot.runtime.home_viewers import HomeViewers
from tests.conftest import NOW


def test_the_people_of_a_burst_are_asked_about_in_one_statement_and_openers_remembered(
    engine: Engine,
) -> None:
    viewers = HomeViewers(engine)
    viewers.opened(team_id="T1", user_id="U1", now=NOW)
    HomeViewers(engine).opened(team_id="T1", user_id="U2", now=NOW)  # another replica saw U2
    HomeViewers(engine).opened(team_id="T2", user_id="U3", now=NOW)  # in another workspace
    asked: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement != "BEGIN":  # SQLite's explicit BEGIN: not a question
            asked.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert viewers.which_opened("T1", ["U1", "U2", "U3", "U4", "U4"]) == {"U1", "U2"}
        assert len([s for s in asked if "home_viewer" in s]) == 1
        asked.clear()
        assert viewers.which_opened("T1", ["U1", "U2"]) == {"U1", "U2"}  # both known now
        assert viewers.which_opened("T1", []) == set()
        assert asked == []
        assert viewers.which_opened("T1", ["U4"]) == set()  # not yet: asked again each time
        assert len(asked) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)
