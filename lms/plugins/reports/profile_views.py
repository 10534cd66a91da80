"""A librarian's profile and training record, and the competency heatmap.

The profile is for the person, their supervisors and admins; anyone else gets 404 (not
403), so user ids cannot be probed. The heatmap shows people, so it is for supervisors
and admins, with the dashboard's filters (a ``?unit=`` outside the viewer's reach is a 404).
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from lms import exports
from lms.auth.access import authenticated, roles_required
from lms.clock import local_today
from lms.pluginmanager import plugin_enabled
from lms.plugins.reports import competencies, dashboard, profile

bp = Blueprint("reports_people", __name__, url_prefix="/reports")


def _locale() -> str:
    return str(get_locale() or "id")


@bp.route("/people/<int:user_id>")
@authenticated
def person(user_id: int):
    found = profile.visible_person(current_user, user_id)
    if found is None:
        abort(404)
    return render_template("reports/person.html", profile=profile.build(current_user, found, _locale()),
                           kinds=_record_kinds())


def _record_kinds() -> dict:
    """The records plugin's labels for training types (empty when it is off)."""
    if not plugin_enabled("records"):
        return {}
    from lms.plugins.records.forms import KIND_LABELS

    return KIND_LABELS


@bp.route("/me")
@roles_required("librarian")
def me():
    return redirect(url_for("reports_people.person", user_id=current_user.id))


def _heatmap_filters() -> dashboard.Filters:
    try:
        return dashboard.parse_filters(current_user, request.args)
    except dashboard.BadFilter:
        abort(404)


@bp.route("/competencies")
@roles_required("supervisor", "admin", scoped=True)
def heatmap():
    filters = _heatmap_filters()
    return render_template("reports/competencies.html", filters=filters,
                           heatmap=competencies.heatmap(current_user, filters, _locale()),
                           units=dashboard.offered_units(current_user, filters),
                           positions=dashboard.offered_positions(current_user, filters),
                           limits=competencies.BAND_LIMITS, competency_name=competencies.competency_name)


def _heatmap_table():
    filters = _heatmap_filters()
    return competencies.heatmap_table(competencies.heatmap(current_user, filters, _locale()), _locale())


@bp.route("/competencies/export.csv")
@roles_required("supervisor", "admin", scoped=True)
def heatmap_csv():
    return exports.csv_response(_heatmap_table(), f"pembina-competencies-{local_today().isoformat()}.csv")


@bp.route("/competencies/export.xlsx")
@roles_required("supervisor", "admin", scoped=True)
def heatmap_xlsx():
    return exports.xlsx_response([_heatmap_table()], f"pembina-competencies-{local_today().isoformat()}.xlsx")
