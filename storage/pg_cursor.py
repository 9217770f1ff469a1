"""psycopg cursors that describe their result's columns only when the description is read.

psycopg builds a `Column` object for every column of a result as soon as
`cursor.description` is asked for, and SQLAlchemy asks after every statement, if
only to learn whether it returned rows: a statement it has run before carries its
result's layout already and reads no further. Building them cost about a tenth of
a small read (0.07 ms of the summary's one statement, 0.14 ms of the change form's).
Here the description is the same sequence of `Column`, built on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import Column
from psycopg.pq import ExecStatus

_WITH_ROWS = frozenset(
    status
    for status in (getattr(ExecStatus, name, None) for name in ("TUPLES_OK", "SINGLE_TUPLE", "TUPLES_CHUNK"))
    if status is not None
)
"""What psycopg describes even with no column (`SELECT ;`); TUPLES_CHUNK is psycopg 3.2's."""


class _Columns(Sequence[Column]):
    """The result's columns, as psycopg describes them, built when first read."""

    __slots__ = ("_built", "_count", "_cursor")

    def __init__(self, cursor: psycopg.Cursor[Any], count: int) -> None:
        self._cursor = cursor
        self._count = count
        self._built: list[Column] | None = None

    def _columns(self) -> list[Column]:
        if self._built is None:
            self._built = [Column(self._cursor, index) for index in range(self._count)]
        return self._built

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Column]:
        return iter(self._columns())

    @overload
    def __getitem__(self, index: int) -> Column: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Column]: ...
    def __getitem__(self, index: int | slice) -> Column | Sequence[Column]:
        return self._columns()[index]

    def __repr__(self) -> str:
        return repr(self._columns())


class DescribedOnDemand(psycopg.Cursor[Any]):
    @property
    def description(self) -> list[Column] | None:  # a Sequence, as the DB-API asks
        result = self.pgresult
        if result is None or not (result.nfields or result.status in _WITH_ROWS):
            return None
        return _Columns(self, result.nfields)  # type: ignore[return-value]  # read as a sequence


def use_on(dbapi_connection: Any, _record: Any) -> None:
    """A `connect` hook: the connection's cursors are `DescribedOnDemand`."""
    if isinstance(dbapi_connection, psycopg.Connection):
        dbapi_connection.cursor_factory = DescribedOnDemand
