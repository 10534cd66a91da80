"""Per-connection settings that SQLite needs for a web app."""
from __future__ import annotations

import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

BUSY_TIMEOUT_MS = 5000
# Page cache per connection, in KiB (SQLite's default is 2 MB). A supervisor dashboard of a
# 200-person unit at 1M attempts touches more index pages than 2 MB hold, and every miss is a
# read from the OS plus decoding the page: with 16 MB the dashboard served 2x the requests
# under the benchmark (19.9 -> 39.4-40.7 req/s, docs/performance.md). One connection per
# worker thread is in use at a time, so this is ~16 MB per worker at most, filled lazily.
CACHE_KIB = 16000
# pysqlite opens a transaction (BEGIN DEFERRED) before these, and only these, statements
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
FIRST_PAUSE_S, LONGEST_PAUSE_S = 0.0002, 0.002
# A server database that refuses a new connection is asked once more after this pause.
CONNECT_RETRY_PAUSE_S = 0.5


def install_connect_retry(engine: Engine) -> None:
    """Try a refused connection to a database server once more, after a short pause.

    A request that finds its pooled connection dead (``pool_pre_ping``) asks for a new
    one before it has done any work; during a restart of PostgreSQL (~0.3 s) that first
    try is refused, and without a second one the request fails although nothing of it had
    run. Only connecting is retried, never a statement: a request that lost its connection
    in the middle of a transaction cannot know what was done, and gets the error page.
    """
    if engine.dialect.name == "sqlite":
        return

    @event.listens_for(engine, "do_connect")
    def _connect_with_one_retry(dialect, _record, cargs, cparams):
        try:
            return dialect.connect(*cargs, **cparams)
        except dialect.loaded_dbapi.OperationalError:
            time.sleep(CONNECT_RETRY_PAUSE_S)
            return dialect.connect(*cargs, **cparams)


def install_sqlite_pragmas(engine: Engine) -> None:
    """Turn on WAL, foreign keys and a busy timeout for every new SQLite connection, and
    take the write lock of each write transaction as :func:`begin_immediate` does.

    WAL lets readers go on while a writer commits; SQLite leaves foreign keys off
    unless each connection asks; a file database gets a page cache of :data:`CACHE_KIB`.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection, _record):  # pragma: no branch
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.close()

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_writes_immediately(_conn, cursor, statement, _parameters, _context, _executemany):
        connection = cursor.connection
        if not connection.in_transaction and statement.lstrip()[:7].upper().startswith(WRITE_VERBS):
            begin_immediate(connection)


def begin_immediate(connection: sqlite3.Connection, timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
    """Open the write transaction that pysqlite was about to open, waiting for the write
    lock in short steps.

    Only one connection writes at a time. Left to itself, SQLite waits for the lock in its
    busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25 ... then 100 ms between tries: under
    load (every quiz start and submit is a write; four workers) a request often slept tens
    of milliseconds for a lock held for one, and its queued requests with it. Here the wait
    polls every 0.2-2 ms instead, so the lock passes on within a couple of milliseconds of
    its release. ``BEGIN IMMEDIATE`` takes the lock at once, before the first statement;
    pysqlite's own ``BEGIN`` right before that statement would have taken it at the same
    point (reads before it run outside any transaction), so nothing else changes. After
    ``timeout`` the statement goes on as before: SQLite's busy handler waits (5 s), then
    the usual "database is locked" error.
    """
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE_S
    connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                    raise
            if time.monotonic() + pause > deadline:
                return
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_S)
    finally:
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
