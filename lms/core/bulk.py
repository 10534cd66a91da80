"""Bulk loading for synthetic data (``lms demo --scale``): millions of rows, no ORM objects.

:func:`bulk_writer` opens one connection and one transaction for a group of tables and
hands out a :class:`BulkWriter`. Rows are plain tuples in the order of the named columns;
datetimes go in as :meth:`BulkWriter.stamp` values and JSON as text the caller serialised
once (a response shared by a million answers is dumped once, not a million times). Inside:

- **SQLite**: the DBAPI's ``executemany`` in chunks; foreign-key checks are switched off
  for the loading connection (they double the cost of every row, and the generators build
  their ids themselves; the smoke test runs ``PRAGMA foreign_key_check`` instead) and the
  page cache is raised while it loads.
- **PostgreSQL**: ``COPY ... FROM STDIN`` through psycopg, then each id sequence is moved
  past the ids written (the generators assign ids so that answers can name their attempt
  without reading it back).
- On both, the tables' secondary (non-unique) indexes are dropped first and built again at
  the end: one sorted build is several times cheaper than a million index updates. On
  PostgreSQL the tables' foreign keys are dropped too and added back at the end, which
  checks every row in one pass instead of one trigger per row. Unique constraints stay, so
  a duplicate still fails the load. Everything is in the one transaction, so a failed load
  leaves the tables as they were.

:func:`in_parallel` runs the row generators in a worker process, so that on two cores
generating the next rows overlaps writing these (a thread does not: both halves need the
GIL for most of their work).

Only the synthetic-data generators use this; the app's own writes go through the session.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from typing import TypeVar

from sqlalchemy import Table, func, inspect, select
from sqlalchemy.engine import Connection

from lms.extensions import db

CHUNK = 20_000  # rows per executemany / COPY
MAX_WORKERS = 3  # processes generating rows for one writer
T = TypeVar("T")
R = TypeVar("R")
SQLITE_LOAD_CACHE_KIB = 262_144  # page cache while loading (256 MiB); the default is 2 MiB


class Buffer:
    """Rows for one table, written in chunks. ``after`` is a buffer whose rows these rows
    reference (answers -> attempts): it is flushed first, so foreign keys always point at
    rows already written."""

    def __init__(self, writer: BulkWriter, table: Table, columns: Sequence[str], after: Buffer | None = None):
        self.writer, self.table, self.columns, self.after = writer, table, tuple(columns), after
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def extend(self, rows: list[tuple]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.after is not None:
            self.after.flush()
        if self.rows:
            self.writer.insert(self.table, self.columns, self.rows)
            self.written += len(self.rows)
            self.rows = []


class Values:
    """Python values as one database's columns expect them (no SQLAlchemy per value)."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self._days: dict[int, str] = {}
        self._times: list[str] = []

    def stamp(self, seconds: float):
        """A UTC moment (seconds since the epoch, to the second): SQLAlchemy's SQLite text
        format, or an aware datetime for psycopg."""
        if self.dialect != "sqlite":
            return datetime.fromtimestamp(int(seconds), tz=timezone.utc)
        day, rest = divmod(int(seconds), 86_400)
        prefix = self._days.get(day)
        if prefix is None:  # formatting is the slow part: dates once per day, times once
            prefix = self._days[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * 86_400))
        if not self._times:
            self._times = [f"{h:02d}:{m:02d}:{s:02d}.000000" for h in range(24) for m in range(60) for s in range(60)]
        return prefix + self._times[rest]

    def day(self, value: date):
        """A date as the database column expects it."""
        return value.isoformat() if self.dialect == "sqlite" else value


class BulkWriter:
    """Writes rows into the tables of one :func:`bulk_writer` block."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.dialect = connection.dialect.name
        self.cursor = connection.connection.cursor()
        self.buffers: list[Buffer] = []
        self.with_ids: set[Table] = set()
        self._quote = connection.dialect.identifier_preparer.quote
        self.values = Values(self.dialect)
        self.stamp, self.day = self.values.stamp, self.values.day

    # -- ids and rows ----------------------------------------------------------------------
    def next_id(self, table: Table) -> int:
        """The first free id of ``table``; the caller numbers its rows from there."""
        self.with_ids.add(table)
        return (self.connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1

    def buffer(self, table: Table, columns: Sequence[str], after: Buffer | None = None) -> Buffer:
        found = Buffer(self, table, columns, after)
        self.buffers.append(found)
        return found

    def insert(self, table: Table, columns: Sequence[str], rows: list[tuple]) -> int:
        """Write ``rows`` (tuples in the order of ``columns``) now."""
        if not rows:
            return 0
        names = ", ".join(self._quote(column) for column in columns)
        if self.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.cursor.executemany(f"INSERT INTO {self._quote(table.name)} ({names}) VALUES ({marks})", rows)
        else:
            with self.cursor.copy(f"COPY {self._quote(table.name)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return len(rows)

    def flush(self) -> None:
        """Write what the buffers hold."""
        for found in self.buffers:
            found.flush()

    def finish(self) -> None:
        """After the last row: move PostgreSQL's id sequences past the ids written."""
        self.flush()
        if self.dialect == "postgresql":
            for table in self.with_ids:
                name = self._quote(table.name)
                self.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}")


def _secondary_indexes(connection: Connection, table: Table) -> list[tuple[str, list[str]]]:
    """(name, columns) of the plain non-unique indexes the database has on ``table``."""
    found = []
    for index in inspect(connection).get_indexes(table.name):
        columns = index.get("column_names") or []
        if index.get("unique") or not columns or None in columns or index.get("dialect_options"):
            continue  # constraints, expression and partial indexes stay as they are
        found.append((index["name"], list(columns)))
    return found


def _foreign_keys(connection: Connection, table: Table) -> list[tuple[str, str]]:
    """(name, definition) of the foreign keys of ``table`` as PostgreSQL states them."""
    return [tuple(row) for row in connection.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
        f"AND conrelid = '{connection.dialect.identifier_preparer.quote(table.name)}'::regclass ORDER BY conname")]


@contextmanager
def bulk_writer(*tables: Table) -> Iterator[BulkWriter]:
    """One connection and one transaction to load ``tables`` (see the module docstring).

    Read what the rows need before the block: inside it, a query through ``db.session``
    (even an expired attribute) would wait on PostgreSQL for locks this connection holds.
    """
    db.session.commit()  # the session must not hold a write lock while another connection loads
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        quote = connection.dialect.identifier_preparer.quote
        if sqlite:  # connection settings, outside any transaction
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_LOAD_CACHE_KIB}")
            connection.commit()
        try:
            with connection.begin():
                if sqlite:  # pysqlite would run the DDL below outside the transaction
                    connection.exec_driver_sql("BEGIN")
                dropped = [(table, name, columns) for table in tables
                           for name, columns in _secondary_indexes(connection, table)]
                for _table, name, _columns in dropped:
                    connection.exec_driver_sql(f"DROP INDEX {quote(name)}")
                # PostgreSQL checks foreign keys row by row with triggers; checked again in
                # one pass when they are added back (SQLite's checks are off instead)
                keys = [] if sqlite else [(table, name, definition) for table in tables
                                          for name, definition in _foreign_keys(connection, table)]
                for table, name, _definition in keys:
                    connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} DROP CONSTRAINT {quote(name)}")
                writer = BulkWriter(connection)
                yield writer
                writer.finish()
                for table, name, columns in dropped:
                    connection.exec_driver_sql(f"CREATE INDEX {quote(name)} ON {quote(table.name)} "
                                               f"({', '.join(quote(column) for column in columns)})")
                for table, name, definition in keys:
                    connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD CONSTRAINT {quote(name)} "
                                               f"{definition}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.exec_driver_sql("PRAGMA cache_size=-2000")
                connection.commit()


# --- generating rows on the other cores ---------------------------------------------------

_worker_function: Callable | None = None  # set in each worker process only, by the pool


def _start_worker(function: Callable) -> None:
    global _worker_function
    _worker_function = function


def _run_in_worker(task):
    return _worker_function(task)


def in_parallel(function: Callable[[T], R], tasks: Sequence[T]) -> Iterator[R]:
    """Yield ``function(task)`` for each task, in order, computed by worker processes while
    the caller writes the results already yielded: generating rows is pure Python and
    writing them is the database's work, so on two cores they overlap.

    Workers are forked, so ``function`` and what it holds (quizzes, a model...) are
    inherited, not pickled; only tasks and results cross (pickling a row costs well under a
    microsecond). At most two results per worker wait, so memory stays flat. Where fork is
    not available, or with one core, it is a plain ``map``. ``function`` must not touch
    the database: the workers share the parent's open connections.
    """
    workers = min(MAX_WORKERS, (os.cpu_count() or 1) - 1)
    if workers < 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from map(function, tasks)
        return
    with multiprocessing.get_context("fork").Pool(workers, initializer=_start_worker,
                                                  initargs=(function,)) as pool:
        pending: deque = deque()
        for task in tasks:
            pending.append(pool.apply_async(_run_in_worker, (task,)))
            if len(pending) > 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
