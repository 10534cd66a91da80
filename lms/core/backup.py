"""Consistent backups while the app runs, and restoring them.

SQLite: the online backup API copies a consistent snapshot even while others write.
PostgreSQL: ``pg_dump`` (custom format) and ``pg_restore --clean``.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from lms.extensions import db


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


def _pg_env_and_args(url: str) -> tuple[dict[str, str], list[str]]:
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    args = ["-h", parsed.host or "localhost", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    return env, args + ["-d", parsed.database or "postgres"]


def backup(url: str, target: Path) -> Path:
    """Write a consistent snapshot of the database at ``url`` to ``target``."""
    parsed = make_url(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        source = sqlite3.connect(parsed.database)
        try:
            dest = sqlite3.connect(str(target))
            with dest:
                source.backup(dest)
            dest.close()
        finally:
            source.close()
        return target
    if parsed.get_backend_name() == "postgresql":
        if not shutil.which("pg_dump"):
            raise BackupError("pg_dump is not installed (Debian package postgresql-client)")
        env, args = _pg_env_and_args(url)
        done = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "-f", str(target), *args],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        return target
    raise BackupError(f"backups are not supported for {parsed.get_backend_name()}")


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the snapshot in ``source``."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    parsed = make_url(url)
    db.session.remove()
    db.engine.dispose()
    if parsed.get_backend_name() == "sqlite":
        with open(source, "rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise BackupError(f"{source}: not an SQLite backup")
        src = sqlite3.connect(str(source))
        try:
            dest = sqlite3.connect(parsed.database)
            with dest:
                src.backup(dest)
            dest.close()
        finally:
            src.close()
        return
    if parsed.get_backend_name() == "postgresql":
        if not shutil.which("pg_restore"):
            raise BackupError("pg_restore is not installed (Debian package postgresql-client)")
        env, args = _pg_env_and_args(url)
        done = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                               *args, str(source)], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        return
    raise BackupError(f"restore is not supported for {parsed.get_backend_name()}")
