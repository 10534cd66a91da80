"""(placeholder - being written)"""
from __future__ import annotations

from lms.plugins.discussions.views import bp  # noqa: F401
