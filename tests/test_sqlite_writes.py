"""SQLite write transactions begin IMMEDIATE, with a short-step wait for the write lock
(lms/db_events.py): what they do, and that nothing else about transactions changes."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy import event, text

from lms.auth.models import Unit
from lms.db_events import BUSY_TIMEOUT_MS, begin_immediate
from tests.conftest import is_postgresql

pytestmark = pytest.mark.skipif(is_postgresql(), reason="SQLite's write lock")


def _holder(path: str, release: threading.Event, held: threading.Event) -> threading.Thread:
    """Another connection that takes the write lock and keeps it until ``release``."""
    def hold():
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    return thread


def test_the_first_write_of_a_transaction_takes_the_lock_with_begin_immediate(app, db):
    seen = []

    def record(_conn, cursor, statement, *_args):
        seen.append((statement.split()[0], cursor.connection.in_transaction))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        db.session.execute(text("SELECT 1"))  # a read opens no transaction
        db.session.add(Unit(code="u1", name="U1", kind="section"))
        db.session.flush()
        raw = db.session.connection().connection.dbapi_connection
        assert raw.in_transaction
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    # the INSERT already ran inside a transaction (ours), not pysqlite's deferred BEGIN
    assert ("SELECT", False) in seen and ("INSERT", True) in seen
    assert not raw.in_transaction
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
    assert db.session.scalar(text("SELECT count(*) FROM units")) == 1


def test_a_writer_waits_for_the_lock_and_then_writes(app, db):
    path = db.engine.url.database
    release, held = threading.Event(), threading.Event()
    thread = _holder(path, release, held)
    threading.Timer(0.2, release.set).start()
    db.session.add(Unit(code="u2", name="U2", kind="section"))
    db.session.commit()  # waits in begin_immediate until the other commits
    thread.join(10)
    assert release.is_set()
    assert db.session.scalar(text("SELECT count(*) FROM units WHERE code = 'u2'")) == 1


def test_after_the_timeout_it_leaves_the_wait_to_sqlite(app, db):
    path = db.engine.url.database
    release, held = threading.Event(), threading.Event()
    thread = _holder(path, release, held)
    connection = sqlite3.connect(path, isolation_level="")
    connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    try:
        started = time.monotonic()
        begin_immediate(connection, timeout=0.05)
        assert time.monotonic() - started < 5  # gave up on its own, did not hang
        assert not connection.in_transaction  # no transaction: the statement goes on as before
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
        connection.execute("PRAGMA busy_timeout=0")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            connection.execute("INSERT INTO units (code, name, kind) VALUES ('u3', 'U3', 'section')")
    finally:
        release.set()
        thread.join(10)
        connection.close()
