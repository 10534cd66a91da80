"""The annual competency-development report of a unit, as a printable page.

``GET /reports/annual/?unit=ID&year=YYYY``: supervisors see their own units (and those
below), admins any unit; a unit out of reach, not a number or unknown, or a year outside
:data:`~lms.plugins.reports.annual.FIRST_YEAR` to this year, is a 404. ``?print=1`` shows
the same page without the site's navigation and controls (the browser's print command
then prints it; no script is needed, so the CSP stays strict).
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user

from lms.auth.access import roles_required
from lms.plugins.learning.services import local_today
from lms.plugins.reports import annual, dashboard

bp = Blueprint("reports_annual", __name__, url_prefix="/reports/annual")


@bp.route("/")
@roles_required("supervisor", "admin")
def index():
    today = local_today()
    try:
        unit = annual.resolve_unit(current_user, request.args.get("unit"))
        year = annual.resolve_year(request.args.get("year"), today)
    except dashboard.BadFilter:
        abort(404)
    report = annual.build(unit, year, str(get_locale() or "id"), today)
    return render_template("reports/annual.html", report=report, printing=request.args.get("print") == "1",
                           units=dashboard.offered_units(current_user), years=annual.offered_years(today),
                           today=today)
