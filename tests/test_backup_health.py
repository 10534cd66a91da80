"""Health check, and backup -> restore giving back identical data."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select, text

from lms.auth.models import User
from lms.core.demo import seed_demo
from lms.extensions import db
from tests.conftest import is_postgresql, make_test_app


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_database_down(tmp_path):
    app = make_test_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/x/db.sqlite")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"


def _snapshot() -> dict[str, list]:
    """Every row of every table, for comparing two states of the database."""
    db.session.expire_all()
    state = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table)).all()
        state[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return state


def _needs_tools():
    if is_postgresql() and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed")


def test_backup_then_restore_gives_identical_data(app, runner, tmp_path):
    _needs_tools()
    seed_demo(lambda _line: None)
    before = _snapshot()
    assert len(before["users"]) == 40  # both demo libraries and the province
    backup_file = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0

    # change the data after the backup: a new user, a renamed one, a deleted role
    ani = db.session.scalar(select(User).where(User.username == "ani"))
    ani.full_name = "Changed After Backup"
    db.session.execute(text("DELETE FROM user_roles WHERE role = 'trainer'"))
    db.session.add(User(username="late", full_name="Late Comer"))
    db.session.commit()
    assert _snapshot() != before

    refused = runner.invoke(args=["restore", str(backup_file)], input="n\n")
    assert refused.exit_code != 0
    assert _snapshot() != before  # nothing restored without confirmation

    result = runner.invoke(args=["restore", str(backup_file)], input="y\n")
    assert result.exit_code == 0, result.output
    assert _snapshot() == before


@pytest.mark.skipif(is_postgresql(), reason="SQLite online backup while another connection writes")
def test_sqlite_backup_is_consistent_during_an_open_write(app, tmp_path):
    from lms.core.backup import backup

    seed_demo(lambda _line: None)
    writer = db.engine.raw_connection()
    cursor = writer.cursor()
    cursor.execute("BEGIN")
    cursor.execute("UPDATE users SET full_name = 'uncommitted' WHERE username = 'ani'")
    try:
        target = backup(app.config["DATABASE_URL"], tmp_path / "snap.db")
    finally:
        writer.rollback()
        writer.close()
    import sqlite3

    copy = sqlite3.connect(target)
    names = dict(copy.execute("SELECT username, full_name FROM users"))
    copy.close()
    assert names["ani"] == "Ani Rahmawati" and len(names) == 40


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    if is_postgresql():
        pytest.skip("the SQLite header check")
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not a database")
    seed_demo(lambda _line: None)
    before = _snapshot()
    result = runner.invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code != 0 and "not an SQLite backup" in result.output
    assert _snapshot() == before
