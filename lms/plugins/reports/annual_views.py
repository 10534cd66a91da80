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

from lms import exports
from lms.auth.access import roles_required
from lms.clock import local_today
from lms.plugins.reports import annual, dashboard

bp = Blueprint("reports_annual", __name__, url_prefix="/reports/annual")


def _report():
    """The report asked for and the day it is prepared on, in the unit's library's calendar."""
    try:
        unit = annual.resolve_unit(current_user, request.args.get("unit"))
        today = local_today(annual.library_of(unit))
        year = annual.resolve_year(request.args.get("year"), today)
    except dashboard.BadFilter:
        abort(404)
    return annual.build(unit, year, str(get_locale() or "id"), today), today


@bp.route("/")
@roles_required("supervisor", "admin", scoped=True)
def index():
    report, today = _report()
    return render_template("reports/annual.html", report=report, printing=request.args.get("print") == "1",
                           units=dashboard.offered_units(current_user), years=annual.offered_years(today),
                           today=today, tables={name: annual.build_table(name, report) for name in annual.TABLES})


def _tables(default: tuple[str, ...]) -> list[str]:
    """``?table=people`` or ``courses`` (repeatable, or comma-separated); anything else is a 404."""
    names = [name.strip() for raw in request.args.getlist("table") for name in raw.split(",") if name.strip()]
    if any(name not in annual.TABLES for name in names):
        abort(404)
    return list(dict.fromkeys(names)) or list(default)


def _filename(report, stem: str, extension: str) -> str:
    return f"pembina-annual-{report.unit.id}-{report.year}-{stem}.{extension}"


@bp.route("/export.csv")
@roles_required("supervisor", "admin", scoped=True)
def export_csv():
    report, _today = _report()
    names = _tables(("people",))
    if len(names) != 1:
        abort(404)  # a CSV file holds one table
    return exports.csv_response(annual.build_table(names[0], report), _filename(report, names[0], "csv"))


@bp.route("/export.xlsx")
@roles_required("supervisor", "admin", scoped=True)
def export_xlsx():
    report, _today = _report()
    names = _tables(annual.TABLES)
    stem = names[0] if len(names) == 1 else "report"
    return exports.xlsx_response([annual.build_table(name, report) for name in names],
                                 _filename(report, stem, "xlsx"))
