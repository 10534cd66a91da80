"""Small SQL helpers shared by the core and plugins."""
from __future__ import annotations

from lms.extensions import db

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with ``%``, ``_`` and the escape character
    taken literally (use with ``escape=LIKE_ESCAPE``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def migration_include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object``: leave SQLite's full-text tables (``*_fts`` and its
    ``*_fts_data``... shadow tables) to the migrations that create them by hand - they have
    no model on the metadata, so autogenerate would otherwise drop them - and leave out the
    tables of an outside plugin that is off (its models may be imported, its branch is not
    migrated: lms/migrating.py)."""
    if type_ != "table":
        return True
    if reflected and compare_to is None and "_fts" in (name or ""):
        return False
    if not reflected:
        from flask import current_app

        from lms.migrating import app_tables

        return name in app_tables(current_app)
    return True


def dialect_insert(model, dialect: str | None = None):
    """The database's own INSERT for ``model`` (a mapped class or a table), which offers
    ``on_conflict_do_nothing`` and ``on_conflict_do_update`` (an upsert) on SQLite and
    PostgreSQL alike. ``dialect`` defaults to the session's database."""
    if (dialect or db.session.get_bind().dialect.name) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def commit_as_written() -> None:
    """Commit the session without expiring the objects it holds.

    A plain commit expires every loaded object, so the rest of the request reloads each one
    it touches, one query apiece - the signed-in user too (the security headers ask whether
    they are signed in). For a service that has just written the rows itself and whose
    request only reads them back (a redirect, hooks that look at the graded attempt), the
    objects are as fresh as when they were loaded: keep them. The session's own setting is
    restored even when the commit fails.
    """
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
