"""Amending a pending request: new lines and words, a new version, decisions on the old refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from bot.domain.errors import DraftRejected, NothingToAmend, RequestChanged
from bot.services.amending import amend
from bot.services.decisions import decide
from bot.services.seat_changes import Submission, submit
from storage.engine import unit_of_work
from tests.conftest import NOW
from tests.factories import TEAM, make_account


@pytest.fixture(autouse=True)
def pending(engine: Engine) -> None:
    make_account(engine, now=NOW)
    with unit_of_work(engine, write=True) as session:
        submit(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts={"support": "12"}, justification="two hires"),
            now=NOW,
        )


def _amend(engine: Engine, counts: dict[str, str | None], justification: str = "three hires") -> Any:
    with unit_of_work(engine, write=True) as session:
        return amend(
            session,
            team_id=TEAM,
            user_id="U0ADMIN",
            submission=Submission(counts=counts, justification=justification),
            now=NOW,
        )


def _decide(engine: Engine, version: int | None) -> None:
    with unit_of_work(engine, write=True) as session:
        decide(
            session,
            team_id=TEAM,
            user_id="U0OWNER",
            request_id=1,
            approve=True,
            reason=None,
            now=NOW,
            version=version,
        )


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def test_an_amendment_replaces_the_lines_and_raises_the_version(engine: Engine) -> None:
    done = _amend(engine, {"support": "13", "guide": "6"})
    assert done.changed
    assert _rows(engine, "SELECT id, status, version, justification FROM change_request") == [
        (1, "pending", 2, "three hires")
    ]
    lines = _rows(
        engine, "SELECT product_id, from_seats, to_seats FROM change_request_line ORDER BY product_id"
    )
    assert lines == [(1, 10, 13), (2, 5, 6)]
    audited = _rows(engine, "SELECT before, after FROM audit_event WHERE action = 'request.amended'")
    assert len(audited) == 1


def test_a_decision_on_the_old_version_is_refused(engine: Engine) -> None:
    _amend(engine, {"support": "13"})
    with pytest.raises(RequestChanged):
        _decide(engine, version=1)
    assert _rows(engine, "SELECT status FROM change_request") == [("pending",)]
    _decide(engine, version=2)
    assert _rows(engine, "SELECT status FROM change_request") == [("applied",)]
    assert _rows(engine, "SELECT seats FROM product WHERE key = 'support'") == [(13,)]


def test_the_same_words_record_nothing(engine: Engine) -> None:
    done = _amend(engine, {"support": "12"}, justification="two hires")
    assert not done.changed
    assert _rows(engine, "SELECT version FROM change_request") == [(1,)]
    assert _rows(engine, "SELECT count(*) FROM audit_event WHERE action = 'request.amended'") == [(0,)]


def test_bad_counts_change_nothing(engine: Engine) -> None:
    for counts in ({"support": "-4"}, {"support": "10"}, {"nope": "3"}, {"support": "999999999"}):
        with pytest.raises(DraftRejected):
            _amend(engine, counts)
    assert _rows(engine, "SELECT version, justification FROM change_request") == [(1, "two hires")]


def test_nothing_to_amend_without_a_pending_request(engine: Engine) -> None:
    _decide(engine, version=None)
    with pytest.raises(NothingToAmend):
        _amend(engine, {"support": "14"})
