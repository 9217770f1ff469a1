"""Seat change use cases at the service level: the database has the last word."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.domain.errors import AlreadyPending
from bot.services import seat_changes
from bot.services.seat_changes import Submission, submit
from storage.engine import unit_of_work
from storage.models import ChangeRequest
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


def test_the_same_submission_twice_makes_one_request_and_is_answered_with_it(engine: Engine) -> None:
    """A submission's idempotency key (its view id) is asked in the ack's one read: the
    same form again, before or after its ack, is the request it already made."""
    make_account(engine, now=NOW)
    wanted = Submission(counts={"support": "11"}, justification="new hires")
    with unit_of_work(engine, write=True) as session:
        first = submit(
            session, team_id=TEAM, user_id="U0ADMIN", submission=wanted, now=NOW, idempotency_key="view:V1"
        )
    with unit_of_work(engine) as session:
        replay = seat_changes.precheck(
            session, team_id=TEAM, user_id="U0ADMIN", submission=wanted, key="view:V1"
        )
    assert replay is not None
    assert replay.request.id == first.request.id
    assert [(line.name, line.before, line.after) for line in replay.request.lines] == [("Support", 10, 11)]
    with unit_of_work(engine, write=True) as session:
        again = submit(
            session, team_id=TEAM, user_id="U0ADMIN", submission=wanted, now=NOW, idempotency_key="view:V1"
        )
    assert again.replay
    assert again.request.id == first.request.id
    with unit_of_work(engine) as session:
        assert len(session.exec(select(ChangeRequest)).all()) == 1


def test_another_form_while_a_request_is_pending_is_refused_before_the_ack(engine: Engine) -> None:
    make_account(engine, now=NOW)
    with unit_of_work(engine, write=True) as session:
        first = submit(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts={"support": "11"}, justification="first"),
            now=NOW,
            idempotency_key="view:V1",
        )
    second = Submission(counts={"guide": "6"}, justification="second")
    with pytest.raises(AlreadyPending) as refused, unit_of_work(engine) as session:
        seat_changes.precheck(session, team_id=TEAM, user_id="U0ADMIN", submission=second, key="view:V2")
    assert refused.value.request_id == first.request.id
