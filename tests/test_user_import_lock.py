"""A user import must not keep other users from writing (penetration test, finding 6).

Hashing a password (scrypt) costs ~0.1 s on purpose. The import hashes every password with
no transaction open, then inserts everything in one short transaction: on SQLite the write
lock (``BEGIN IMMEDIATE`` at the first write, lms/db_events.py) is held for the inserts only.
"""
from __future__ import annotations

import re
import sqlite3
import time

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session

from lms.auth import models
from lms.auth.importer import import_users_csv
from lms.auth.models import User
from lms.extensions import db
from tests.conftest import is_postgresql

HEADER = "username,full_name,email,roles,unit\n"
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE")


def staff_csv(count: int) -> bytes:
    rows = "".join(f"staf{n:03d},Staf Nomor {n},,librarian,branch-a\n" for n in range(1, count + 1))
    return (HEADER + rows).encode("utf-8")


class HashSpy:
    """Calls werkzeug's real hash function and remembers how many and how long; ``during``
    runs once, in the middle of hash number ``at`` (as another user's request would)."""

    def __init__(self, real, at: int = 0, during=None) -> None:
        self.real, self.at, self.during = real, at, during
        self.count = 0
        self.seconds: list[float] = []

    def __call__(self, *args, **kwargs):
        started = time.perf_counter()
        value = self.real(*args, **kwargs)
        self.seconds.append(time.perf_counter() - started)
        self.count += 1
        if self.count == self.at and self.during:
            self.during()
        return value


@pytest.fixture
def spy(monkeypatch):
    hashes = HashSpy(models.generate_password_hash)
    monkeypatch.setattr(models, "generate_password_hash", hashes)
    return hashes


@pytest.fixture
def transaction_log(app, spy):
    """When the import's first write ran (that begins the write transaction) and when it
    committed, and how many hashes were done by then."""
    log: dict[str, tuple[float, int]] = {}

    def before_execute(_conn, _cursor, statement, *_args):
        if "first_write" not in log and statement.lstrip()[:6].upper().startswith(WRITE_VERBS):
            log["first_write"] = (time.perf_counter(), spy.count)

    def commit(_conn):
        log.setdefault("commit", (time.perf_counter(), spy.count))

    event.listen(db.engine, "before_cursor_execute", before_execute)
    event.listen(db.engine, "commit", commit)
    yield log
    event.remove(db.engine, "before_cursor_execute", before_execute)
    event.remove(db.engine, "commit", commit)


def run_import(data: bytes):
    with force_locale("en"):
        return import_users_csv(data)


def test_every_password_is_hashed_before_the_first_write(org, spy, transaction_log):
    count = 12
    result = run_import(staff_csv(count))
    assert result.ok, result.errors
    assert spy.count == count
    # the write transaction began after the last hash, and no hash ran inside it
    assert transaction_log["first_write"][1] == count
    assert transaction_log["commit"][1] == count
    assert db.session.scalar(select(func.count()).select_from(User).where(User.username.like("staf%"))) == count
    assert all(get.check_password(result.temporary_passwords[get.username])
               for get in db.session.scalars(select(User).where(User.username.like("staf%"))))


def test_a_name_taken_while_the_passwords_are_hashed_is_reported(org, spy):
    """Another admin creates ``staf002`` (from another connection) during the hashing: the
    import reports that line and writes nothing."""
    def another_admin_creates_a_user():
        with Session(db.engine) as other:
            if is_postgresql():  # on the old code this waited for the import's row lock: fail, not hang
                other.execute(text("SET LOCAL lock_timeout = '2s'"))
            other.add(User(username="staf002", full_name="Sudah Ada"))
            other.commit()

    spy.at, spy.during = 3, another_admin_creates_a_user
    result = run_import(staff_csv(4))
    assert result.errors == ["line 3: username 'staf002' already exists"]
    assert result.temporary_passwords == {} and result.created == 0
    db.session.expire_all()
    assert db.session.scalars(select(User.username).where(User.username.like("staf%"))).all() == ["staf002"]


@pytest.mark.skipif(is_postgresql(), reason="SQLite's single write lock")
def test_another_connection_writes_while_the_import_hashes(app, org, spy, transaction_log):
    """With the real scrypt: a write from another connection in the middle of the hashing
    goes through at once, and the import holds the write lock for less than two hashes."""
    app.config["PASSWORD_METHOD"] = "scrypt"
    path = db.engine.url.database
    other_write: dict[str, object] = {}

    def write_from_another_connection():
        connection = sqlite3.connect(path, timeout=2, isolation_level=None)
        started = time.perf_counter()
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO units (code, name, kind, active, created_at) "
                               "VALUES ('other', 'Other', 'section', 1, '2026-01-01 00:00:00')")
            connection.execute("COMMIT")
        except sqlite3.OperationalError as error:  # "database is locked" after the timeout
            other_write["error"] = str(error)
        finally:
            other_write["waited"] = time.perf_counter() - started
            connection.close()

    count = 6
    spy.at, spy.during = 3, write_from_another_connection
    result = run_import(staff_csv(count))
    assert result.ok, result.errors
    assert spy.count == count and all(h.startswith("scrypt:") for h in
                                      db.session.scalars(select(User.password_hash)
                                                         .where(User.username.like("staf%"))))
    assert "error" not in other_write, other_write
    one_hash = min(spy.seconds)
    assert other_write["waited"] < one_hash
    (began, hashes_then), (ended, _) = transaction_log["first_write"], transaction_log["commit"]
    assert hashes_then == count
    assert ended - began < 2 * one_hash, (ended - began, one_hash)
    assert db.session.scalar(select(func.count()).select_from(models.Unit).where(models.Unit.code == "other")) == 1


def test_cli_prints_progress_to_stderr(org, runner, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_bytes(staff_csv(30))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert re.findall(r"^hashed (\d+)/30 password\(s\)$", result.stderr, re.M) == ["25", "30"]
    assert "checked 30 row(s)" in result.stderr and "saved 30 user(s) in one transaction" in result.stderr
    assert "hashed" not in result.stdout
    assert "30 user(s) imported" in result.stdout


@pytest.fixture
def admin(client_as):
    client = client_as("admin")
    client.user.locale = "en"
    db.session.commit()
    return client


def test_page_says_how_many_rows_were_checked_and_created(admin):
    from tests.test_user_import import upload, section

    page = upload(admin, staff_csv(3)).get_data(as_text=True)
    assert "Rows checked: 3. Users created: 3." in section(page, "import-result")
    response = upload(admin, staff_csv(4) + b"nobody,X,,,nowhere\n")
    assert response.status_code == 400
    assert "Rows checked: 5. Users created: 0." in section(response.get_data(as_text=True), "import-errors")
    form = admin.get("/admin/users/import").get_data(as_text=True)
    assert 'id="import-busy" role="status" hidden' in form
    assert re.search(r"js/import\.[0-9a-f]{12}\.js", form)  # its content-hashed name
