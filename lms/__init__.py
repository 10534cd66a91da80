"""Pembina: a learning management system for library staff development.

Only :func:`create_app` lives here. It is a readable list of ``configure_*`` steps and
has no side effects beyond the instance folder: no migrations, prompts, network or queries.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from lms import config as cfg
from lms.extensions import csrf, db, login_manager, migrate

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Where a top-level resource folder (``templates``, ``migrations``) lives.

    In a source checkout it sits beside ``lms/``; a wheel carries it as ``lms/_<name>``.
    """
    packaged = PACKAGE_DIR / f"_{name}"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / name


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build a Pembina app. ``config`` overrides every other source (tests use it)."""
    config = dict(config or {})
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        instance_path=config.pop("INSTANCE_PATH", None) or os.environ.get("LMS_INSTANCE_PATH") or None,
        instance_relative_config=True,
    )
    configure_settings(app, config)
    configure_http(app)
    configure_proxy(app)
    configure_static(app)
    configure_database(app)
    configure_extensions(app)
    configure_plugins(app)
    return app


def configure_settings(app: Flask, overrides: dict[str, Any]) -> None:
    """Defaults, then instance/config.py, then LMS_* variables, then ``overrides``."""
    app.config.from_mapping(cfg.DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("LMS")
    app.config.update(overrides)
    app.config["ENV"] = str(app.config["ENV"]).lower()
    for key in ("DEBUG", "HTTPS"):
        app.config[key] = cfg.as_bool(app.config[key])
    app.debug = app.config["DEBUG"]
    production = app.config["ENV"] == "production"
    if app.config["ENV"] not in ("development", "production"):
        raise cfg.ConfigError("LMS_ENV must be 'development' or 'production'")
    if production and app.config["DEBUG"]:
        raise cfg.ConfigError("Refusing to start: debug mode is on in production (unset LMS_DEBUG).")
    if not app.config.get("SECRET_KEY"):
        if production:
            raise cfg.ConfigError("Refusing to start: LMS_SECRET_KEY is not set in production.")
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SECRET_KEY"] = cfg.load_or_create_secret_key(app.instance_path)
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"


def configure_http(app: Flask) -> None:
    """Bounded ``<int:...>`` ids, the canonical ``BASE_URL`` for absolute links and, in
    production, the ``TRUSTED_HOSTS`` allowlist (``lms/http.py``). Before any route exists."""
    from lms import http

    http.init_app(app)


def configure_proxy(app: Flask) -> None:
    """Behind ``PROXIES`` reverse proxies, take the client's address and scheme from their
    ``X-Forwarded-For``/``-Proto`` headers (the per-address login throttle needs the real
    address, not the proxy's). 0 (default): trust no such header."""
    hops = int(app.config.get("PROXIES") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def configure_static(app: Flask) -> None:
    """Static files with content-hashed names, year-long caching and gzip/brotli variants,
    served by WhiteNoise in front of the app (``lms/assets.py``; ``STATIC_HASHED``)."""
    from lms import assets

    app.config["STATIC_HASHED"] = cfg.as_bool(app.config.get("STATIC_HASHED", True))
    assets.init_app(app)


def configure_database(app: Flask) -> None:
    """Point SQLAlchemy at LMS_DATABASE_URL or the instance's SQLite file."""
    url = app.config.get("DATABASE_URL")
    if not url:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        url = cfg.default_database_url(app.instance_path)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", cfg.sqlite_engine_options(url))


def configure_extensions(app: Flask) -> None:
    """Bind the unbound extensions and the core request hooks."""
    from lms import i18n, security
    from lms.auth import access
    from lms.db_events import install_connect_retry, install_sqlite_pragmas
    import lms.audit.models  # noqa: F401 - core tables must be on the metadata for migrations
    import lms.auth.models  # noqa: F401

    db.init_app(app)
    with app.app_context():
        install_sqlite_pragmas(db.engine)
        install_connect_retry(db.engine)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    configure_migrations(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    access.init_app(app)


def configure_migrations(app: Flask) -> None:
    """Alembic reads the version folder of every enabled part (the product's and each outside
    plugin's branch), and ``lms db upgrade`` upgrades every head (lms/migrating.py)."""
    from lms import migrating

    if migrating.configure_alembic not in migrate.configure_callbacks:  # one Migrate per process
        migrate.configure(migrating.configure_alembic)
    app.cli.add_command(migrating.db_command_group(), name="db")
def configure_default_settings(app: Flask, answers: list[dict]) -> None:
    """Every enabled plugin's default settings (``lms_default_settings``), each kept only
    where the operator set none: the config file, ``LMS_*`` variables and a test's dict win.
    A setting two plugins claim is a configuration error, not a silent winner."""
    claimed: set[str] = set()
    for defaults in answers:
        for key, value in (defaults or {}).items():
            if key in claimed:
                raise cfg.ConfigError(f"Two plugins declare a default for the setting {key}; "
                                      "each plugin must prefix its settings with its own name.")
            claimed.add(key)
            app.config.setdefault(key, value)


def configure_plugins(app: Flask) -> None:
    """Register core and enabled plugins, then collect what their hooks return."""
    from lms.pluginmanager import build_plugin_manager

    manager, enabled = build_plugin_manager(app.config.get("PLUGINS"))
    app.extensions["lms.plugins"] = manager
    app.config["ENABLED_PLUGINS"] = enabled
    hook = manager.hook
    configure_default_settings(app, hook.lms_default_settings(app=app))
    hook.lms_init_app(app=app)
    for blueprints in hook.lms_blueprints():
        for blueprint in blueprints or []:
            app.register_blueprint(blueprint)
    nav = [item for items in hook.lms_nav_items() for item in (items or [])]
    app.extensions["lms.nav"] = sorted(nav, key=lambda item: item.order)
    for commands in hook.lms_cli_commands():
        for command in commands or []:
            app.cli.add_command(command)
    question_types = {}
    for types in hook.lms_question_types():
        for qtype in types or []:
            question_types[qtype.name] = qtype
    app.extensions["lms.question_types"] = question_types
