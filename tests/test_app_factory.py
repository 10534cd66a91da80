"""The app factory: settings sources, the secret key, production safety, SQLite pragmas."""
from __future__ import annotations

import os
import stat

import pytest
from flask import request
from sqlalchemy import text

from lms import create_app
from lms.auth.access import public
from lms.config import ConfigError
from lms.extensions import db
from tests.conftest import is_postgresql


def test_env_variables_with_lms_prefix_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_JP_TARGET", "24")
    monkeypatch.setenv("LMS_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "x"})
    assert app.config["JP_TARGET"] == 24
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/env.db"


def test_explicit_config_overrides_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_JP_TARGET", "24")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "JP_TARGET": 30})
    assert app.config["JP_TARGET"] == 30


def test_default_database_is_sqlite_file_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'pembina.db'}"


def test_secret_key_is_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) >= 40
    other = create_app({"INSTANCE_PATH": str(tmp_path / "elsewhere")})
    assert other.config["SECRET_KEY"] != first.config["SECRET_KEY"]


def test_production_refuses_missing_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV": "production"})
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_debug(tmp_path):
    with pytest.raises(ConfigError, match="debug"):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV": "production", "SECRET_KEY": "s", "DEBUG": "1"})


def test_production_starts_with_secret(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "ENV": "production", "SECRET_KEY": "s" * 40,
                      "BASE_URL": "https://pembina.example.go.id"})
    assert app.config["ENV"] == "production" and not app.debug


def test_unknown_env_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s", "ENV": "staging"})


def test_https_marks_cookies_secure(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s", "HTTPS": "1"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_proxies_setting_trusts_the_proxy_headers(tmp_path):
    """Behind a reverse proxy the login throttle must see the client's address, not the proxy's."""
    def seen(**config):
        app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s", **config})
        app.add_url_rule("/addr", "addr", public(lambda: request.remote_addr))
        return app.test_client().get("/addr", headers={"X-Forwarded-For": "203.0.113.7"},
                                     environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)

    assert seen() == "127.0.0.1"
    assert seen(PROXIES="1") == "203.0.113.7"


def test_factory_makes_no_database_queries(tmp_path):
    """Creating the app must not touch the database (no migrations, no queries)."""
    create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s",
                "DATABASE_URL": f"sqlite:///{tmp_path}/never.db"})
    assert not (tmp_path / "never.db").exists()


@pytest.mark.skipif(is_postgresql(), reason="SQLite pragmas")
def test_sqlite_connections_use_wal_and_foreign_keys(app):
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert conn.execute(text("PRAGMA cache_size")).scalar() == -16000  # KiB: 16 MB, not 2
