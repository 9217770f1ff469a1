"""Whether the database is at the newest migration, without loading Alembic.

Alembic and its migration scripts cost a running server about 11 MB and 70 ms
of start-up; they are only needed when there is something to migrate. `HEAD`
names the newest migration (`tests/storage/test_migrations.py` checks that it is
Alembic's head), and the database says where it is in `alembic_version`.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

HEAD = "0012"
"""The newest revision in storage/migrations/versions: raise it with each new migration."""


def database_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (none for a database never migrated)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return set()
        return {str(row[0]) for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


def is_current(engine: Engine) -> bool:
    return database_revisions(engine) == {HEAD}
