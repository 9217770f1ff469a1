"""Seat change use cases at the service level: the database has the last word."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from bot.domain.errors import AlreadyPending
from bot.services import seat_changes
from bot.services.seat_changes import Submission, submit
from storage.engine import unit_of_work
from tests.conftest import NOW
from tests.factories import TEAM, make_account


def test_the_unique_index_catches_a_second_pending_request_the_check_missed(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(engine, now=NOW)
    wanted = Submission(counts={"support": "11"}, justification="first")
    with unit_of_work(engine, write=True) as session:
        submit(session, team_id=TEAM, user_id="U0ADMIN", submission=wanted, now=NOW)
    # Two submissions racing both pass the Python check; only the index can stop the second.
    # The check reads the pending request with the replay lookup (`_mine`): it sees none.
    read = seat_changes._mine
    monkeypatch.setattr(seat_changes, "_mine", lambda *a, **k: replace(read(*a, **k), pending=None))
    monkeypatch.setattr(seat_changes, "pending_request_of", lambda *a, **k: None)
    with pytest.raises(AlreadyPending), unit_of_work(engine, write=True) as session:
        submit(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts={"guide": "6"}, justification="second"),
            now=NOW,
        )
