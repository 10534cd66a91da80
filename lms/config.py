"""Default settings and how they are resolved.

Order (later wins): these defaults, ``instance/config.py`` if present, ``LMS_*``
environment variables (``LMS_DATABASE_URL`` becomes ``DATABASE_URL``), then the dict a
caller passes to :func:`lms.create_app` (tests do that).

Settings:

``DATABASE_URL``      SQLAlchemy URL. Default: ``sqlite:///<instance>/pembina.db``
                      (WAL journal, foreign keys on, busy timeout 5 s).
``SECRET_KEY``        Signs sessions and CSRF tokens. If unset outside production, one is
                      generated once into ``<instance>/secret_key`` (mode 0600).
``ENV``               ``development`` (default) or ``production``. Production refuses to start
                      without an explicit ``SECRET_KEY`` or ``BASE_URL``, or with ``DEBUG`` on.
``BASE_URL``          The site's public address, ``scheme://host[:port]`` (no path), e.g.
                      ``https://pembina.example.go.id``. Every absolute link (e-mails, meeting
                      ``.ics`` files, certificate verification, xAPI activity ids) is built from
                      it, never from the request's Host header (lms/http.py). Required in
                      production; development default ``http://127.0.0.1:5000``.
                      ``DIGEST_BASE_URL`` and ``XAPI_BASE_URL`` are its deprecated names, still
                      read when it is unset; two of them with different values are refused.
``XAPI_LRS_USERNAME`` / ``XAPI_LRS_PASSWORD``  Basic-auth credentials for ``lms export xapi
                      --lrs URL`` (set them as environment variables, not on the command line).
``XAPI_LRS_BATCH_SIZE``  Statements per request to a record store (100); ``XAPI_LRS_RETRIES``
                      attempts per request (5), ``XAPI_LRS_BACKOFF_SECONDS`` the first wait
                      between them (1, doubling), ``XAPI_LRS_TIMEOUT_SECONDS`` per request (30).
``TRUSTED_HOSTS``     Extra host names the app answers to (comma-separated; ``.example.id``
                      takes subdomains). In production the app answers only BASE_URL's host,
                      these, ``127.0.0.1`` and ``localhost`` (probes on the machine); any other
                      Host is a 400. Development answers any host unless this is set.
``PLUGINS``           Comma-separated plugin names that are on; default: every built-in.
                      ``-name`` turns one off and keeps the rest.
``HTTPS``             ``1`` marks cookies Secure and sends HSTS.
``PROXIES``           Reverse proxies in front of the app (default 0): with ``1`` the client's
                      address and scheme come from the proxy's ``X-Forwarded-For``/``-Proto``
                      (docs/deploy.md). Never set it when clients reach the app directly.
``JP_TARGET``         Training hours (JP) each librarian should earn a year (default 20); a
                      new library starts with it, then keeps its own (Admin -> Libraries).
``HOME_ORGANISATION`` The unit code of the library that pages without a signed-in person name
                      (sign-in, certificate check). Default: the only top-level library; with
                      several and none set, those pages name Pembina alone.
``DUE_SOON_DAYS``     An unfinished assignment due within this many days is *due soon* on
                      home, My learning and the assignment page (default 7).
``LOGIN_MAX_FAILURES``  From this many failed sign-ins for one username from one address on
                      (default 5), each failure makes that pair wait 1, 2, 4 ... seconds, up
                      to ``LOGIN_MAX_DELAY_SECONDS`` (300); forgotten after
                      ``LOGIN_LOCK_MINUTES`` (15) without a failure.
``LOGIN_MAX_FAILURES_PER_IP``  Failures from one address over all usernames (30) before that
                      address waits for the rest of its ``LOGIN_LOCK_MINUTES`` window.
``LOGIN_MAX_FAILURES_PER_USER``  Failures on one username from everywhere in
                      ``LOGIN_USER_WINDOW_HOURS`` (100 in 24 h) before every address that fails
                      for it waits the longest delay; never a lock (docs/architecture.md).
``PASSWORD_CONTEXT_WORDS``  Words of this deployment refused as the bulk of a password (the
                      library's name, its town), comma-separated; ``pembina`` always is.
``MAIL_SERVER``       SMTP host; empty (default) = no e-mail at all (in-app notifications only,
                      no password reset by e-mail). E-mails go through the outbox
                      (``lms mail send`` / ``lms mail worker``, docs/operations.md).
``MAIL_PORT`` / ``MAIL_FROM``  Port (25) and sender address; ``MAIL_USERNAME`` /
                      ``MAIL_PASSWORD`` optional login; ``MAIL_STARTTLS`` ``1`` to upgrade;
                      ``MAIL_TIMEOUT`` seconds per SMTP step (30).
``MAIL_MAX_ATTEMPTS``  Tries before a message is marked failed (10); between them the wait
                      doubles from ``MAIL_RETRY_BASE_SECONDS`` (60) up to
                      ``MAIL_RETRY_MAX_SECONDS`` (21600). ``MAIL_LEASE_SECONDS`` (600): how
                      long a worker holds a message it took; ``MAIL_POLL_SECONDS`` (5): the
                      worker's pause when nothing is due.
``PASSWORD_RESET_MAX_AGE``  Seconds a password-reset link is valid (3600).
``PASSWORD_RESET_PER_ACCOUNT`` / ``PASSWORD_RESET_PER_ADDRESS``  Reset e-mails per account (3)
                      and reset requests per client address (10) in an hour.
``DISCUSSIONS_*``     Post size, edit window, rate limit...: see docs/discussions.md.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

DEFAULTS: dict[str, object] = {
    "ENV": "development",
    "DEBUG": False,
    "PLUGINS": None,
    "HTTPS": False,
    "PROXIES": 0,
    "BABEL_DEFAULT_LOCALE": "id",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
    "LANGUAGES": ("id", "en"),
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "pembina_session",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # A library's logo (lms/logos.py): the upload's size, the pixels decoded at most, and the
    # stored PNG's longest side.
    "LOGO_MAX_BYTES": 512 * 1024,
    "LOGO_MAX_PIXELS": 4_000_000,
    "LOGO_MAX_SIDE": 512,
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "JP_TARGET": 20,
    "XAPI_LRS_USERNAME": "",
    "XAPI_LRS_PASSWORD": "",
    "XAPI_LRS_BATCH_SIZE": 100,
    "XAPI_LRS_RETRIES": 5,
    "XAPI_LRS_BACKOFF_SECONDS": 1.0,
    "XAPI_LRS_TIMEOUT_SECONDS": 30.0,
    "DUE_SOON_DAYS": 7,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_IP": 30,
    "LOGIN_LOCK_MINUTES": 15,
    "LOGIN_MAX_DELAY_SECONDS": 300,
    "LOGIN_MAX_FAILURES_PER_USER": 100,
    "LOGIN_USER_WINDOW_HOURS": 24,
    "PASSWORD_CONTEXT_WORDS": (),
    "USER_IMPORT_MAX_BYTES": 2 * 1024 * 1024,
    # werkzeug's scrypt; tests choose a cheaper method to stay fast.
    "PASSWORD_METHOD": "scrypt",
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_FROM": "pembina@localhost",
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_STARTTLS": False,
    "MAIL_TIMEOUT": 30,
    "MAIL_MAX_ATTEMPTS": 10,
    "MAIL_RETRY_BASE_SECONDS": 60,
    "MAIL_RETRY_MAX_SECONDS": 6 * 3600,
    "MAIL_LEASE_SECONDS": 600,
    "MAIL_POLL_SECONDS": 5,
    "PASSWORD_RESET_MAX_AGE": 3600,
    "PASSWORD_RESET_PER_ACCOUNT": 3,
    "PASSWORD_RESET_PER_ADDRESS": 10,
    # Static files (lms/assets.py): content-hashed names cached for a year, plain names for
    # STATIC_MAX_AGE seconds, pre-compressed variants from `make install`; STATIC_ROOT
    # defaults to the package's static folder.
    "STATIC_HASHED": True,
    "STATIC_ROOT": None,
    "STATIC_MAX_AGE": 60,
}

TRUTHY = {"1", "true", "yes", "on"}


def as_bool(value: object) -> bool:
    """Read a boolean from an environment string or a Python value."""
    if isinstance(value, str):
        return value.strip().lower() in TRUTHY
    return bool(value)


def default_database_url(instance_path: str) -> str:
    """The embedded default: an SQLite file in the instance folder."""
    return "sqlite:///" + str(Path(instance_path) / "pembina.db")


def load_or_create_secret_key(instance_path: str) -> str:
    """Return the instance's secret key, generating it once with mode 0600.

    A generated key survives restarts (sessions stay valid) yet is never in the code.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def sqlite_engine_options(url: str) -> dict:
    """Engine options that make SQLite safe for a threaded web server."""
    if not url.startswith("sqlite"):
        return {"pool_pre_ping": True}
    return {"connect_args": {"timeout": 5, "check_same_thread": False}}


class ConfigError(RuntimeError):
    """Raised when the app is asked to start with an unsafe or invalid configuration."""
