"""``lms discussions ...`` commands (placeholder - being written)."""
from __future__ import annotations

from flask.cli import AppGroup

discussions = AppGroup("discussions", help="Discussions: digests and the search index.")
