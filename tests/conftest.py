"""Shared fixtures: an app on a real database, clients signed in per role, factories.

Each test gets a fresh SQLite file by default. With ``LMS_TEST_DATABASE_URL`` set (CI
sets a throw-away PostgreSQL), the schema is built once (again whenever the models gain a
table) and every table is emptied before each test, so the same tests run on both
databases through the same code.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, text

from lms import create_app, organisations
from lms.auth.models import Unit, User
from lms.extensions import db as _db

TEST_DATABASE_URL = os.environ.get("LMS_TEST_DATABASE_URL", "")
PASSWORD = "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# The table names the PostgreSQL schema was last built with (empty: build it again).
_schema_ready: dict[str, frozenset] = {}


def is_postgresql() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    The ``app`` fixture keeps an app context pushed for the test body; without this,
    requests would share its ``g`` (and Flask-Login's cached user) and its DB session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def make_test_app(tmp_path, **overrides):
    """An app configured for tests (CSRF stays on: tests send tokens like a browser)."""
    url = TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.db'}"
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "PASSWORD_METHOD": "pbkdf2:sha256:1000",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def reset_database(app) -> None:
    """Empty every table (PostgreSQL) or build a fresh schema (new SQLite file)."""
    with app.app_context():
        if is_postgresql():
            tables_now = frozenset(_db.metadata.tables)
            if _schema_ready.get("pg") != tables_now:
                _db.session.remove()
                with _db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                _db.create_all()
                _schema_ready["pg"] = tables_now
            tables = ", ".join(f'"{t.name}"' for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            _db.create_all()


def serve_app(tmp_path, fresh: bool = True, **overrides):
    """Yield a test app inside an app context - on a fresh database, or (``fresh=False``) on
    the database ``DATABASE_URL`` names as it is; clean up after."""
    app = make_test_app(tmp_path, **overrides)
    if fresh:
        reset_database(app)
    with app.app_context():
        yield app
        _db.session.remove()
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def app(request, tmp_path):
    """The test app on a fresh database; when the test asks for ``full_demo``, on its own copy
    of the session's demo database instead (see ``DemoDatabase``)."""
    if "full_demo" in request.fixturenames:
        demo_database = request.getfixturevalue("demo_database")
        url = demo_database.copy(tmp_path)
        try:
            yield from serve_app(tmp_path, fresh=False, DATABASE_URL=url, NEEDS_SURVEYS_DIR=str(SURVEYS))
        finally:
            demo_database.drop(url)
    else:
        yield from serve_app(tmp_path)


# --- the demo, built once per session --------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
SURVEYS = ROOT / "courses" / "surveys"


def seed_full_demo(app) -> None:
    """What ``make run`` seeds, in its order, into ``app``'s (empty) schema: the real courses,
    then ``lms demo`` - the demo organisation, the survey instruments and every plugin's demo
    data."""
    from lms.core.demo import seed_demo
    from lms.plugins.courses.services import import_courses

    with app.app_context():
        app.config["NEEDS_SURVEYS_DIR"] = str(SURVEYS)
        report = import_courses([ROOT / "courses"])
        assert report.ok, report.problems
        seed_demo(lambda _line: None)
        app.extensions["lms.plugins"].hook.lms_demo_seed(app=app, log=lambda _line: None)
        _db.session.commit()
        _db.session.remove()


class DemoDatabase:
    """The full demo (``seed_full_demo``) built once, kept as a template no test touches;
    every test that wants the demo gets a copy of its own, so no test sees another's writes.

    The files the demo writes (training-record evidence under the instance folder) are
    copied with it. SQLite: the template is a file and a copy is made with SQLite's online backup API (a
    consistent page-by-page copy, ~10 ms). PostgreSQL: the template is a database of its own
    and a copy is ``CREATE DATABASE ... TEMPLATE`` (a file-level copy on the server), dropped
    after the test. Building the demo takes tens of seconds; a copy, well under one.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.copies = 0
        if is_postgresql():
            from sqlalchemy.engine import make_url

            base = make_url(TEST_DATABASE_URL)
            self.admin_url = base.set(database="postgres")
            worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # one template per worker
            self.template = f"{base.database}_demo{worker}"
            self.url = base.set(database=self.template).render_as_string(hide_password=False)
            self._create(self.template)
        else:
            self.url = f"sqlite:///{folder / 'demo.db'}"
        app = make_test_app(folder, DATABASE_URL=self.url)
        with app.app_context():
            _db.create_all()
        seed_full_demo(app)
        with app.app_context():
            _db.engine.dispose()  # a PostgreSQL template must have no connection left

    def _admin(self, *statements: str) -> None:
        from sqlalchemy import create_engine

        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                for statement in statements:
                    conn.execute(text(statement))
        finally:
            engine.dispose()

    def _create(self, name: str, template: str | None = None) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def copy(self, folder: Path) -> str:
        """The URL of a fresh copy of the demo database (``folder`` holds a SQLite copy)."""
        if is_postgresql():
            from sqlalchemy.engine import make_url

            self.copies += 1
            name = f"{self.template}_{self.copies}"
            self._create(name, template=self.template)
            shutil.copytree(self.folder / "instance", folder / "instance", dirs_exist_ok=True)
            return make_url(self.url).set(database=name).render_as_string(hide_password=False)
        import sqlite3

        target = folder / "demo-copy.db"
        shutil.copytree(self.folder / "instance", folder / "instance", dirs_exist_ok=True)
        source, copy = sqlite3.connect(self.folder / "demo.db"), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        """Remove a copy once its app's engine is disposed (PostgreSQL; a SQLite copy goes
        with the test's temporary folder)."""
        if is_postgresql():
            from sqlalchemy.engine import make_url

            self._admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        if is_postgresql():
            self._admin(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    """The full demo, built once per session (per worker); ask for ``full_demo`` (tests on
    the ``app`` fixture) or copy it yourself with ``demo_database.copy(folder)``."""
    demo = DemoDatabase(tmp_path_factory.mktemp("demo-template"))
    yield demo
    demo.close()


@pytest.fixture
def full_demo(app):
    """The test's ``app`` (and ``client``, ``runner``) on its own copy of the full demo: what
    ``make run`` seeds. The test may write; the next test gets a fresh copy."""
    return app


@pytest.fixture
def english_app(tmp_path):
    """An app whose default language is English, for tests that pin the source wording
    of messages (the Indonesian ones are tested separately)."""
    yield from serve_app(tmp_path, BABEL_DEFAULT_LOCALE="en")


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_unit(db):
    def make(code: str, name: str | None = None, kind: str = "section", parent: Unit | None = None) -> Unit:
        unit = Unit(code=code, name=name or code.title(), kind=kind, parent=parent)
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_user(db):
    def make(username: str, roles=("librarian",), unit: Unit | None = None, password: str = PASSWORD,
             active: bool = True, **fields) -> User:
        user = User(username=username, full_name=fields.pop("full_name", username.title()), unit=unit,
                    active=active, **fields)
        user.set_roles(list(roles))
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def installed_hello_plugin(tmp_path, monkeypatch):
    """Install tests/plugins/hello as a distribution with an ``lms.plugins`` entry point, as
    ``pip install`` would: it is on unless ``LMS_PLUGINS`` turns it off. Yields the folder to
    put on ``PYTHONPATH`` for a separate ``lms`` process."""
    site = tmp_path / "site"
    dist = site / "pembina_hello-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: pembina-hello\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lms.plugins]\nhello = tests.plugins.hello.hooks\n")
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("tests.plugins.hello.hooks", None)


def from_host(client, host: str):
    """Send every later request of ``client`` with ``Host: host``, its cookies (the session)
    included: what a client that forges the Host header does."""
    for cookie in list(client._cookies.values()):
        client.set_cookie(cookie.key, cookie.value, domain=host, path=cookie.path)
    client.environ_base["HTTP_HOST"] = host
    return client


def csrf_token(client, path: str = "/login") -> str:
    """Read the CSRF token from a page, as a browser would have it."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no csrf_token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD, **extra):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client), **extra}
    return client.post("/login", data=data)


def post_form(client, path: str, data: dict, token_from: str | None = None, **kwargs):
    """POST ``data`` to ``path`` with a valid CSRF token taken from ``token_from`` (or ``path``)."""
    data = {"csrf_token": csrf_token(client, token_from or path), **data}
    return client.post(path, data=data, **kwargs)


@pytest.fixture
def org(make_unit):
    """A small organisation: library -> branch-a -> section-a1, and branch-b."""
    library = make_unit("lib", "Perpustakaan Uji", "library")
    branch_a = make_unit("branch-a", "Cabang A", "branch", library)
    section_a1 = make_unit("section-a1", "Seksi A1", "section", branch_a)
    branch_b = make_unit("branch-b", "Cabang B", "branch", library)
    organisations.assign_organisations()  # the library is an organisation, as save_unit would make it
    _db.session.commit()
    return {"library": library, "branch_a": branch_a, "section_a1": section_a1, "branch_b": branch_b}


# A second library beside ``org``'s, for isolation tests (issue 20). Every name in it carries
# OTHER_MARKER so a page of the first library can be searched for anything of the second.
OTHER_MARKER = "Seberang"


@pytest.fixture
def other_org(make_unit, org):
    """A second top-level library, "Perpustakaan Seberang" (code ``lib-seb``), with a branch
    ``seb-branch`` and a section ``seb-section``; an organisation of its own beside ``org``."""
    library = make_unit("lib-seb", f"Perpustakaan {OTHER_MARKER}", "library")
    branch = make_unit("seb-branch", f"Cabang {OTHER_MARKER}", "branch", library)
    section = make_unit("seb-section", f"Seksi {OTHER_MARKER}", "section", branch)
    organisations.assign_organisations()
    _db.session.commit()
    return {"library": library, "branch": branch, "section": section}


@pytest.fixture
def client_as(app, make_user, org):
    """``client_as("supervisor")`` -> a test client signed in as a fresh user with that role;
    ``unit_code=`` puts them in another unit (of ``org`` or, with ``other_org``, of the second
    library: their username and full name then carry the unit code)."""
    def make(*roles: str, unit_code: str = "branch-a"):
        unit = _db.session.scalar(select(Unit).where(Unit.code == unit_code))
        assert unit is not None, f"no unit {unit_code}"
        username = "u-" + "-".join(roles) + ("" if unit_code == "branch-a" else f"-{unit_code}")
        full_name = username.title() + (f" {OTHER_MARKER}" if OTHER_MARKER in unit.name else "")
        user = make_user(username, roles=roles, unit=unit, full_name=full_name)
        client = app.test_client()
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.user = user
        return client

    return make


COURSE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "courses"


@pytest.fixture
def course_root(tmp_path) -> Path:
    """A writable copy of the sample course folder (tests/fixtures/courses)."""
    target = tmp_path / "courses"
    shutil.copytree(COURSE_FIXTURES, target)
    return target


@pytest.fixture
def imported(app, course_root) -> Path:
    """The sample course imported into the test database."""
    from lms.plugins.courses.services import import_courses

    report = import_courses([course_root])
    assert report.ok, report.problems
    return course_root


@pytest.fixture
def smtp_sink():
    """A running SMTP server (aiosmtpd); ``sink.port`` to point MAIL_PORT at,
    ``sink.messages`` received (tests/smtp_server.py)."""
    from tests import smtp_server

    sink = smtp_server.Sink()
    controller = smtp_server.start(sink)
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def mail_on(app, smtp_sink):
    """E-mail configured to go to the sink."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, MAIL_FROM="pembina@perpustakaan.test")
    return smtp_sink


def deliver_mail():
    """What ``lms mail send`` does once: deliver every due e-mail of the outbox."""
    from lms.mail import services

    return services.deliver()

