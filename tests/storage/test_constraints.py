"""Rules the database itself enforces, whatever the Python code does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, select

from storage.models import AuditEvent, ChangeRequest, Product, RequestStatus, RoleGrant
from tests.conftest import NOW
from tests.factories import make_account


@pytest.fixture
def account_id(engine: Engine) -> int:
    return make_account(engine, now=NOW).account_id


def _request(account_id: int, requester: str, status: RequestStatus = RequestStatus.PENDING) -> ChangeRequest:
    closed = None if status is RequestStatus.PENDING else NOW
    return ChangeRequest(
        account_id=account_id,
        requester_id=requester,
        status=status.value,
        created_at=NOW,
        updated_at=NOW,
        decided_at=closed,
    )


def test_one_pending_request_per_requester(session: Session, account_id: int) -> None:
    session.add(_request(account_id, "U0ADMIN"))
    session.commit()
    session.add(_request(account_id, "U0ADMIN"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_closed_requests_do_not_count_against_the_pending_one(session: Session, account_id: int) -> None:
    session.add_all(
        [
            _request(account_id, "U0ADMIN", RequestStatus.DECLINED),
            _request(account_id, "U0ADMIN", RequestStatus.WITHDRAWN),
            _request(account_id, "U0ADMIN"),
            _request(account_id, "U0OTHER"),
        ]
    )
    session.commit()
    pending = session.exec(select(ChangeRequest).where(ChangeRequest.status == "pending")).all()
    assert len(pending) == 2


def test_a_closed_request_has_its_closing_time(session: Session, account_id: int) -> None:
    request = _request(account_id, "U0ADMIN")
    request.status = RequestStatus.APPROVED.value  # but no decided_at
    session.add(request)
    with pytest.raises(IntegrityError):
        session.commit()


def test_only_one_owner(session: Session, account_id: int) -> None:
    session.add(RoleGrant(account_id=account_id, user_id="U0SECOND", role="owner", granted_at=NOW))
    with pytest.raises(IntegrityError):
        session.commit()


@pytest.mark.parametrize(
    "seats",
    [
        -1,  # negative
        100_001,  # above the sanity ceiling
    ],
)
def test_seat_counts_stay_in_range(session: Session, account_id: int, seats: int) -> None:
    product = session.exec(select(Product).where(Product.key == "support")).one()
    product.seats = seats
    session.add(product)
    with pytest.raises(IntegrityError):
        session.commit()


def test_unknown_status_is_refused(session: Session, account_id: int) -> None:
    request = _request(account_id, "U0ADMIN")
    request.status = "maybe"
    session.add(request)
    with pytest.raises(IntegrityError):
        session.commit()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'rewritten'",
        "DELETE FROM audit_event",
    ],
)
def test_audit_events_are_append_only(engine: Engine, account_id: int, statement: str) -> None:
    with Session(engine) as session:
        count = len(session.exec(select(AuditEvent)).all())
    assert count > 0
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(text(statement))
    with Session(engine) as session:
        assert len(session.exec(select(AuditEvent)).all()) == count
        assert all(e.action != "rewritten" for e in session.exec(select(AuditEvent)))


def test_timestamps_come_back_aware_utc(session: Session, account_id: int) -> None:
    session.add(_request(account_id, "U0ADMIN"))
    session.commit()
    session.expire_all()
    stored = session.exec(select(ChangeRequest)).one()
    assert stored.created_at == NOW
    assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(session: Session, account_id: int) -> None:
    request = _request(account_id, "U0ADMIN")
    request.created_at = NOW.replace(tzinfo=None)
    session.add(request)
    with pytest.raises(Exception, match="naive datetime"):
        session.commit()
