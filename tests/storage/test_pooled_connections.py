"""A pooled PostgreSQL connection the server cut (a restart, a failover, an idle
timeout) is replaced before a request uses it; a connection in constant use is not
checked on every checkout."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from storage import engine as engines
from storage.engine import unit_of_work


def _backend_pid(engine: Engine, *, snapshot: bool = True) -> int:
    with unit_of_work(engine, snapshot=snapshot) as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _cut(engine: Engine, pid: int) -> None:
    """The server ends that backend, from a connection outside the engine's pool."""
    other = engines.make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with other.connect() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    finally:
        other.dispose()


@pytest.fixture
def pg(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to cut a connection")
    return engine


@pytest.mark.parametrize("snapshot", [True, False], ids=["transaction", "autocommit read"])
def test_a_connection_the_server_cut_is_replaced_before_use(
    pg: Engine, monkeypatch: pytest.MonkeyPatch, snapshot: bool
) -> None:
    first = _backend_pid(pg)
    _cut(pg, first)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE", 0.0)  # as if it sat idle past the limit

    assert _backend_pid(pg, snapshot=snapshot) != first  # answered, on a fresh connection
    assert _backend_pid(pg, snapshot=snapshot) != first


def test_a_connection_in_constant_use_is_not_checked_on_every_checkout(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "PING_AFTER_IDLE", 3600.0)  # every connection counts as just used
    cut = _backend_pid(pg)
    _cut(pg, cut)

    # Not checked on checkout (no extra round trip), so this one use meets the cut;
    # the pool then drops its connections and the next use gets a fresh one.
    with pytest.raises(OperationalError):
        _backend_pid(pg)
    assert _backend_pid(pg) != cut
