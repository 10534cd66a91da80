"""Small SQL helpers shared by the core and plugins."""
from __future__ import annotations

LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with ``%``, ``_`` and the escape character
    taken literally (use with ``escape=LIKE_ESCAPE``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def migration_include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic ``include_object``: leave SQLite's full-text tables (``*_fts`` and its
    ``*_fts_data``... shadow tables) to the migrations that create them by hand - they have
    no model on the metadata, so autogenerate would otherwise drop them."""
    return not (type_ == "table" and reflected and compare_to is None and "_fts" in (name or ""))
