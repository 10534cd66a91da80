"""The supervisor dashboard and its exports: parse the filters, call the service, render.

Supervisors see the librarians of their units and the units below; admins see everyone.
A ``?unit=`` outside the viewer's reach (or not a unit id) is a 404, on the page and on
the exports alike.
"""
from __future__ import annotations

from babel.numbers import get_decimal_symbol
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from lms import exports
from lms.auth.access import roles_required
from lms.clock import local_today
from lms.pluginmanager import has_endpoint
from lms.i18n import cell_text
from lms.plugins.reports import charts, dashboard, network

bp = Blueprint("reports", __name__, url_prefix="/reports")
bp.add_app_template_global(charts.bars_markup, "bars_markup")

VIEWERS = ("supervisor", "admin")


@bp.app_template_global("report_rows")
def report_rows(table: exports.Table) -> list[tuple[exports.Row, Markup]]:
    """Each row of a report table with its ``<td>`` cells as one escaped string (for the
    ``report_table`` macro). A unit's dashboard has ~2,700 cells; written cell by cell in
    Jinja they cost ~5 us each (a third of the page), here well under one. The first cell
    of a person's row links to their record when the people pages are on."""
    openers = [Markup('<td class="num" data-col="{}">' if column.numeric else '<td data-col="{}">').format(column.key)
               for column in table.columns]
    link = None
    if has_endpoint("reports_people.person") and any(row.user_id for row in table.rows):
        sample = url_for("reports_people.person", user_id=0)
        if sample.endswith("/0"):  # /reports/people/<int:user_id>: one url_for, not one a row
            prefix = sample[:-1]
            link = lambda user_id: prefix + str(int(user_id))  # noqa: E731
        else:
            link = lambda user_id: url_for("reports_people.person", user_id=user_id)  # noqa: E731
    rows = []
    decimal = get_decimal_symbol(_locale())  # the export's machine text, in the reader's figures
    for row in table.rows:
        cells = [f"{opener}{escape(cell_text(cell, decimal))}</td>\n    " for opener, cell in zip(openers, row.cells)]
        if row.user_id and link and cells:  # an f-string: Markup.format costs ~10 us a row
            cells[0] = f'{openers[0]}<a href="{escape(link(row.user_id))}">{escape(row.cells[0].text)}</a></td>\n    '
        rows.append((row, Markup("".join(cells))))
    return rows


def _locale() -> str:
    return str(get_locale() or "id")


def _filters() -> dashboard.Filters:
    try:
        return dashboard.parse_filters(current_user, request.args)
    except dashboard.BadFilter:
        abort(404)


def _requested_tables(default: tuple[str, ...]) -> list[str]:
    """``?table=people`` (repeatable, or comma-separated); an unknown name is a 404."""
    names = [name.strip() for raw in request.args.getlist("table") for name in raw.split(",") if name.strip()]
    if any(name not in dashboard.TABLES for name in names):
        abort(404)
    return list(dict.fromkeys(names)) or list(default)


@bp.route("/")
@roles_required(*VIEWERS, scoped=True)
def index():
    filters = _filters()
    tables = {t.key: t for t in (dashboard.build_table(name, current_user, filters, _locale())
                                 for name in dashboard.TABLES)}
    target = dashboard.common_target(filters.scope.shown)  # None: the libraries' targets differ
    return render_template("reports/index.html", filters=filters, tables=tables,
                           charts=charts.dashboard_charts(tables, target),
                           units=dashboard.offered_units(current_user, filters),
                           positions=dashboard.offered_positions(current_user, filters),
                           target=target)


def _filename(stem: str, extension: str) -> str:
    return f"pembina-{stem}-{local_today().isoformat()}.{extension}"


@bp.route("/export.csv")
@roles_required(*VIEWERS, scoped=True)
def export_csv():
    filters = _filters()
    names = _requested_tables(("people",))
    if len(names) != 1:
        abort(404)  # a CSV file holds one table
    table = dashboard.build_table(names[0], current_user, filters, _locale())
    return exports.csv_response(table, _filename(names[0], "csv"))


@bp.route("/export.xlsx")
@roles_required(*VIEWERS, scoped=True)
def export_xlsx():
    filters = _filters()
    names = _requested_tables(dashboard.TABLES)
    tables = [dashboard.build_table(name, current_user, filters, _locale()) for name in names]
    stem = names[0] if len(names) == 1 else "dashboard"
    return exports.xlsx_response(tables, _filename(stem, "xlsx"))


# --- libraries side by side (a provincial supervisor, an install-wide admin) ------------------

def _network_table() -> tuple[exports.Table, dashboard.Scope]:
    try:
        scope = dashboard.parse_filters(current_user, {}).scope
    except dashboard.BadFilter:  # pragma: no cover - no filter is read
        abort(404)
    return network.table(network.figures(current_user, scope)), scope


@bp.route("/organisations")
@roles_required(*VIEWERS, scoped=True)
def organisations():
    table, scope = _network_table()
    from lms.plugins.needs.analysis import min_group

    return render_template("reports/organisations.html", table=table, scope=scope, min_group=min_group(),
                           year=local_today().year)


@bp.route("/organisations/export.csv")
@roles_required(*VIEWERS, scoped=True)
def organisations_csv():
    return exports.csv_response(_network_table()[0], _filename("libraries", "csv"))


@bp.route("/organisations/export.xlsx")
@roles_required(*VIEWERS, scoped=True)
def organisations_xlsx():
    return exports.xlsx_response([_network_table()[0]], _filename("libraries", "xlsx"))
