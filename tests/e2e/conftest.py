"""Browser journeys: the real app on a real SQLite file, served to Debian's Chromium.

The server runs in this process (werkzeug ``make_server`` on port 0, daemon thread), so
the test and the server share the app and its database. Each test gets a fresh database
with the demo organisation. ``LMS_TEST_DATABASE_URL`` still wins over the SQLite file
(``make_test_app`` reads it), so the journeys can run on PostgreSQL too.

Without Chromium the journeys are skipped, unless ``CI=true``: then they fail, so a CI
image that lost its browser cannot pass silently.
"""
from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from lms.core.demo import DEMO_PASSWORD, seed_demo
from lms.extensions import db as _db
from tests.conftest import SURVEYS, make_test_app, reset_database

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def find_chromium() -> str | None:
    """Debian's Chromium, or any ``chromium`` on PATH."""
    if os.path.isfile("/usr/bin/chromium") and os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = find_chromium()
    if path is None:
        message = ("Chromium not found (/usr/bin/chromium or `chromium` on PATH); "
                   "install it with `apt-get install -y chromium`.")
        if in_ci():
            pytest.fail(f"CI=true but the browser journeys cannot run: {message}", pytrace=False)
        pytest.skip(f"browser journeys skipped: {message}")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_executable):
    """pytest-playwright's launch arguments, pointed at Debian's Chromium."""
    args = list(browser_type_launch_args.get("args") or [])
    args += [arg for arg in CHROMIUM_ARGS if arg not in args]
    return {**browser_type_launch_args, "executable_path": chromium_executable, "args": args}


@pytest.fixture
def live_app(tmp_path):
    """A fresh app with the demo organisation on a real database file."""
    app = make_test_app(tmp_path)
    reset_database(app)
    with app.app_context():
        seed_demo(lambda _message: None)
        _db.session.remove()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


def demo_copy_app(folder, demo_database, **overrides):
    """An app on a fresh copy of the session's full demo (tests/conftest.py ``DemoDatabase``:
    what ``make run`` seeds, built once), for a journey that writes."""
    return make_test_app(folder, DATABASE_URL=demo_database.copy(folder), NEEDS_SURVEYS_DIR=str(SURVEYS),
                         **overrides)


def dispose(app, demo_database=None) -> None:
    """Close ``app``'s connections; drop its demo copy (PostgreSQL) if it had one."""
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()
    if demo_database is not None:
        demo_database.drop(app.config["DATABASE_URL"])


@pytest.fixture
def demo_live_app(tmp_path, demo_database):
    """``live_app`` with the full demo instead of the organisation alone: a module that needs
    it overrides ``live_app`` with this fixture."""
    app = demo_copy_app(tmp_path, demo_database)
    yield app
    dispose(app, demo_database)


@pytest.fixture
def live_url(live_app) -> Iterator[str]:
    """Serve ``live_app`` on a free local port; yield its base URL (no trailing slash)."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD
