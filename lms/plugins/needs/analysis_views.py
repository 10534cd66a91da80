"""The needs analysis: ranked competencies, Locus-for-Focus chart, breakdowns and impact."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("needs_analysis", __name__, url_prefix="/needs/analysis")
