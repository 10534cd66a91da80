"""An outside plugin is one folder, tables included: the test plugin ``hello`` (installed
through the ``lms.plugins`` entry point, as ``pip install`` does) brings its own table and its
own Alembic branch from ``tests/plugins/hello/migrations/``; the operator's one command,
``lms db upgrade``, migrates the product and the plugin; the plugin's page writes and reads
its table; a downgrade of the plugin's branch drops its table and nothing of the product's.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

import tests.conftest as shared
from tests.conftest import PASSWORD, csrf_token, is_postgresql, login, make_test_app

ROOT = Path(__file__).resolve().parents[1]
LMS = Path(sys.executable).with_name("lms")


def _core_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


@pytest.fixture
def empty_database(tmp_path):
    """The URL of an empty database (PostgreSQL: the test database with an empty schema)."""
    if not is_postgresql():
        yield f"sqlite:///{tmp_path / 'plugin.db'}"
        return
    engine = create_engine(shared.TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    shared._schema_ready.pop("pg", None)
    yield shared.TEST_DATABASE_URL
    shared._schema_ready.pop("pg", None)  # the next test builds its schema from the models again


def lms(args: list[str], url: str, site: Path, tmp_path: Path) -> str:
    """Run the ``lms`` console script as an operator would, the plugin installed in ``site``."""
    env = {key: value for key, value in os.environ.items() if key != "LMS_PLUGINS"}
    env.update(LMS_DATABASE_URL=url, LMS_SECRET_KEY="test-secret-key", LMS_INSTANCE_PATH=str(tmp_path / "instance"),
               PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))
    result = subprocess.run([str(LMS), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _schema(url: str) -> tuple[set[str], set[str]]:
    """The database's tables and the revisions it is at."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    return tables, versions


def test_an_outside_plugin_migrates_its_own_table_and_serves_a_page_on_it(installed_hello_plugin, empty_database,
                                                                          tmp_path):
    site, url = installed_hello_plugin, empty_database
    assert (ROOT / "tests" / "plugins" / "hello" / "migrations").is_dir()
    assert not [path for path in (ROOT / "migrations" / "versions").glob("*.py") if "hello" in path.read_text()]

    lms(["db", "upgrade"], url, site, tmp_path)  # no revision given: every head
    tables, versions = _schema(url)
    assert "hello_greetings" in tables and "users" in tables
    assert versions == {_core_head(), "0001_hello_greetings"}

    app = make_test_app(tmp_path, DATABASE_URL=url)
    assert "hello" in app.config["ENABLED_PLUGINS"]
    with app.app_context():
        from lms.auth.models import User
        from lms.extensions import db

        user = User(username="ani", full_name="Ani")
        user.set_roles(["librarian"])
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    assert login(client, "ani").status_code == 302
    page = client.get("/hello/greetings")
    assert page.status_code == 200 and 'name="csrf_token"' in page.get_data(as_text=True)

    refused = client.post("/hello/greetings", data={"text": "tanpa token"})
    assert refused.status_code == 400
    token = csrf_token(client, "/hello/greetings")
    sent = client.post("/hello/greetings", data={"csrf_token": token, "text": "<b>Halo</b> dari Ani"})
    assert sent.status_code == 302
    listed = re.search(r'<ul id="greetings">(.*?)</ul>', client.get("/hello/greetings").get_data(as_text=True), re.S)
    assert listed.group(1).strip() == "<li>&lt;b&gt;Halo&lt;/b&gt; dari Ani</li>"  # escaped
    with app.app_context():
        from lms.extensions import db

        assert db.session.execute(text("SELECT text FROM hello_greetings")).scalars().all() == ["<b>Halo</b> dari Ani"]
        db.session.remove()
        db.engine.dispose()

    lms(["db", "downgrade", "hello@base"], url, site, tmp_path)
    tables, versions = _schema(url)
    assert "hello_greetings" not in tables and "users" in tables
    assert versions == {_core_head()}
