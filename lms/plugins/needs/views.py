"""Needs pages for staff and supervisors: rounds, the self-assessment, supervisor ratings
and module feedback."""
from __future__ import annotations

from flask import Blueprint, render_template

from lms.auth.access import roles_required

bp = Blueprint("needs", __name__, url_prefix="/needs")


@bp.route("/")
@roles_required("supervisor", "trainer", "admin")
def index():
    return render_template("needs/index.html")
