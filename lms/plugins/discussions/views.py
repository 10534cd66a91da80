"""The discussions blueprint; the views live in the ``*_views`` modules that register on it."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("discussions", __name__, url_prefix="/discussions")
