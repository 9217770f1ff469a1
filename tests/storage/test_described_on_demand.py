"""PostgreSQL results are described to SQLAlchemy as psycopg describes them, even though
the description is only built when it is read: column names, types and row counts of
statements seen for the first time, textual ones, and those that return no row."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from storage.engine import unit_of_work
from storage.models import Account
from storage.pg_cursor import DescribedOnDemand
from tests.conftest import NOW
from tests.factories import make_account


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's cursors are sqlite3's own")
    return engine


def test_the_engine_s_cursors_are_described_on_demand(pg: Engine) -> None:
    with pg.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        assert isinstance(cursor, DescribedOnDemand)
        cursor.execute("SELECT 1 AS one, 'two' AS two, now() AS three")
        described = cursor.description
        assert described is not None
        assert len(described) == 3
        assert [column.name for column in described] == ["one", "two", "three"]
        assert [column.name for column in described[1:]] == ["two", "three"]
        assert described[0].type_code == 23  # int4, as psycopg says it
        cursor.execute("SELECT")  # rows of no column: described, and empty
        no_columns = cursor.description
        assert no_columns is not None
        assert len(no_columns) == 0
        cursor.execute("SET application_name = 'seatbot'")  # no rows at all
        assert cursor.description is None


@pytest.mark.parametrize("snapshot", [True, False], ids=["transaction", "autocommit read"])
def test_statements_read_their_columns_by_name(pg: Engine, snapshot: bool) -> None:
    make_account(pg, now=NOW)
    with unit_of_work(pg, snapshot=snapshot) as session:
        fresh = session.execute(text("SELECT 41 + 1 AS answer, 'é' AS word")).mappings().one()
        assert dict(fresh) == {"answer": 42, "word": "é"}
        [name] = session.execute(text("SELECT name FROM account")).scalars().all()
        assert name == "Acme Support"
        assert session.execute(text("UPDATE account SET name = name WHERE id < 0")).rowcount == 0


def test_orm_reads_and_writes_are_unchanged(pg: Engine) -> None:
    make_account(pg, now=NOW)
    for _ in range(3):  # first run, then from SQLAlchemy's statement cache
        with Session(pg) as session:
            account = session.exec(select(Account)).one()
            assert account.name == "Acme Support"
            account.name = "Acme"
            session.commit()
            assert session.exec(select(Account.name)).one() == "Acme"
            account.name = "Acme Support"
            session.commit()
