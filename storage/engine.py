"""Engine and sessions for SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlmodel import Session

from storage import pg_cursor


def normalise_url(url: str) -> str:
    """Route PostgreSQL URLs through psycopg 3, whatever scheme the user wrote."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not pysqlite, open transactions, so that writers can take
        # the write lock up front (BEGIN IMMEDIATE): a deferred transaction that
        # reads, then writes after another writer committed, fails at once in WAL
        # mode instead of waiting its turn.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", pg_cursor.use_on)
    event.listen(engine, "connect", _mark_idle)
    event.listen(engine, "checkin", _mark_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


PING_AFTER_IDLE = 1.0
"""Seconds a pooled PostgreSQL connection may sit unused before it is checked on checkout.

A database restart or failover takes longer than this, so a connection it cut is
always checked (and replaced) before a request uses it; one in constant use is not
pinged on every checkout, which cost a round trip per request."""


def _mark_idle(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()  # leave no transaction open: a read may switch to autocommit
    except Exception as cut:  # the pool drops this connection and checks out another
        raise exc.DisconnectionError() from cut


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by the "begin" hook
    cursor = dbapi_connection.cursor()
    if ":memory:" not in str(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get(WRITE_OPTION)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "seatbot_write"


@contextmanager
def unit_of_work(engine: Engine, *, write: bool = False, snapshot: bool = True) -> Iterator[Session]:
    """One transaction: committed if the block succeeds, rolled back otherwise.

    Repositories never commit; services run inside one of these. `write=True`
    takes SQLite's write lock at BEGIN, so concurrent writers queue (busy
    timeout) instead of failing; PostgreSQL relies on row locks and
    conditional updates instead.

    `snapshot=False` is for the short reads that answer a person (a summary, a
    form): on PostgreSQL each statement then runs on its own, which spares the
    BEGIN and COMMIT round trips (two of a summary's four) at the price of the
    statements not sharing one snapshot. Nothing that decides or exports reads so.
    A write may go so only if it is one statement (a conditional UPDATE is atomic
    on its own): several would each commit alone.
    """
    bind = _bind(engine, write=write, snapshot=snapshot)
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_unsnapshotted: WeakKeyDictionary[Engine, Engine] = WeakKeyDictionary()


def _bind(engine: Engine, *, write: bool, snapshot: bool) -> Engine:
    if snapshot or engine.dialect.name != "postgresql":
        return engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    bind = _unsnapshotted.get(engine)
    if bind is None:  # one copy per engine: building it on every read costs more than it saves
        bind = _unsnapshotted[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return bind
