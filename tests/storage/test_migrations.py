"""The migrations and the models describe the same schema, and migrate both ways."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from storage import migrate, schema_version
from storage.oauth_tables import OAUTH_METADATA


def test_migrated_schema_matches_models(engine: Engine) -> None:
    """seatbot's models and slack_sdk's OAuth stores' tables, exactly."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, [SQLModel.metadata, OAUTH_METADATA])
    assert diff == []


def test_database_is_at_head(engine: Engine) -> None:
    assert schema_version.is_current(engine)


def test_the_server_knows_the_newest_migration_without_loading_alembic(engine: Engine) -> None:
    """`schema_version.HEAD` is Alembic's head: raise it with each new migration."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config(str(engine.url))).get_heads()
    assert heads == [schema_version.HEAD]
    assert schema_version.is_current(engine)
    migrate.downgrade(engine, "0009")
    assert not schema_version.is_current(engine)
    migrate.upgrade(engine)
    assert schema_version.is_current(engine)


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert {"account", "change_request", "audit_event"} <= set(inspect(engine).get_table_names())
    assert schema_version.is_current(engine)


def test_replicas_starting_together_migrate_once(engine: Engine) -> None:
    """Two processes upgrading an empty database at the same moment both succeed (on
    PostgreSQL the second waits for the first's lock, then finds nothing to do)."""
    from concurrent.futures import ThreadPoolExecutor

    from storage.engine import make_engine

    if engine.dialect.name != "postgresql":
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    migrate.downgrade(engine, "base")
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(2)]
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            for done in [pool.submit(migrate.upgrade, e) for e in engines]:
                done.result(timeout=120)
    finally:
        for e in engines:
            e.dispose()
    assert schema_version.is_current(engine)
