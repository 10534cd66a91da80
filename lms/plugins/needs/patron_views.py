"""Upload page for patron-survey CSV files."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("needs_patron", __name__, url_prefix="/needs/patron")
