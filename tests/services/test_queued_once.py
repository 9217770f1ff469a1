"""A change's messages are queued once however often the change is recorded: the outbox
keeps one row per dedupe key, and the database leaves out a second (no error)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.services.outbox import Kind
from bot.services.recording import Message, record
from storage.engine import unit_of_work
from storage.models import Account, OutboxMessage
from tests.conftest import NOW
from tests.factories import make_account


def _account_id(engine: Engine) -> int:
    make_account(engine, now=NOW)
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
    assert account.id is not None
    return account.id


def test_a_message_recorded_twice_is_queued_once(engine: Engine) -> None:
    account_id = _account_id(engine)
    welcome = Message(Kind.SEAT_GRANTED, "U0AG1", "granted:support:U0AG1", params={"product": "Support"})
    other = Message(Kind.SEAT_GRANTED, "U0AG2", "granted:support:U0AG2", params={"product": "Support"})
    with unit_of_work(engine, write=True) as session:
        record(session, account_id=account_id, at=NOW, messages=[welcome])
    with unit_of_work(engine, write=True) as session:
        record(session, account_id=account_id, at=NOW, messages=[welcome, other, other])
    with Session(engine) as session:
        queued = sorted(row.recipient for row in session.exec(select(OutboxMessage)).all())
    assert queued == ["U0AG1", "U0AG2"]
