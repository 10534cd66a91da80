"""Evaluation pages: the person's self-reports, the supervisors' observations, the results
(application rate per competency and unit, the transfer gap) and their exports, and the
admins' form to open an evaluation for a group. Views parse, call a service, render."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms import exports
from lms.auth.access import roles_required
from lms.auth.models import Unit, User
from lms.auth.scoping import supervised_unit_ids
from lms.extensions import db
from lms.pluginmanager import plugin_enabled
from lms.plugins.courses.models import Competency
from lms.plugins.evaluations import results, services
from lms.plugins.evaluations.forms import GroupWindowForm, ObservationForm, SelfReportForm
from lms.plugins.evaluations.models import SELF, SUPERVISOR

bp = Blueprint("evaluations", __name__, url_prefix="/evaluations")

OBSERVER_ROLES = ("supervisor", "admin")
RESULT_ROLES = ("trainer", "supervisor", "admin")


def _user() -> User:
    return current_user._get_current_object()


def _locale() -> str:
    return str(get_locale() or "id")


def _competency(window) -> Competency:
    return db.session.get(Competency, window.competency_id)


def _form_context(window, kind: str) -> dict:
    competency = _competency(window)
    response = window.response(kind)
    given = {rating.indicator: rating.frequency for rating in response.ratings} if response else {}
    if request.method == "POST":
        given = {index: int(value) for index in range(len(competency.indicators or []))
                 if (value := request.form.get(f"f{index}", "")) in ("1", "2", "3", "4")}
    return {"window": window, "competency": competency, "indicators": competency.indicators or [],
            "given": given, "response": response, "frequencies": services.FREQUENCY_LABELS,
            "is_open": services.is_open(window), "status": services.status(window), "locale": _locale()}


@bp.route("/")
@roles_required("librarian")
def mine():
    user = _user()
    windows = services.own_windows(user)
    names = {c.id: c for c in db.session.scalars(select(Competency))}
    return render_template("evaluations/mine.html", windows=windows, names=names, services=services,
                           observed=results.person_application(user.id),
                           reported=results.person_application(user.id, SELF))


@bp.route("/<int:window_id>/answer", methods=["GET", "POST"])
@roles_required("librarian")
def answer(window_id: int):
    user = _user()
    window = services.own_window(user, window_id)
    if window is None:
        abort(404)
    response = window.response(SELF)
    form = SelfReportForm(obj=response)
    problem, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            problem, status = _("Please check the form."), 400
        else:
            try:
                services.submit_self(user, window, request.form, request.form.getlist("barriers"))
            except services.EvaluationError as error:
                problem, status = str(error), 400
            else:
                flash(_("Thank you: your answers were saved."), "success")
                return redirect(url_for("evaluations.mine"))
    chosen = request.form.getlist("barriers") if request.method == "POST" else (response.barriers if response else [])
    return render_template("evaluations/answer.html", form=form, problem=problem, barriers=services.BARRIERS,
                           chosen=chosen, **_form_context(window, SELF)), status


@bp.route("/observe")
@roles_required(*OBSERVER_ROLES)
def queue():
    state = "all" if request.args.get("state") == "all" else "open"
    windows = services.observation_queue(_user(), state)
    names = {c.id: c for c in db.session.scalars(select(Competency))}
    return render_template("evaluations/queue.html", windows=windows, names=names, state=state, services=services)


@bp.route("/<int:window_id>/observe", methods=["GET", "POST"])
@roles_required(*OBSERVER_ROLES)
def observe(window_id: int):
    user = _user()
    window = services.observable_window(user, window_id)
    if window is None:
        abort(404)
    response = window.response(SUPERVISOR)
    form = ObservationForm(obj=response)
    problem, status = None, 200
    if request.method == "POST":
        if not form.validate_on_submit():
            if form.csrf_token.errors:
                abort(400)
            problem, status = _("Please check the form."), 400
        else:
            upload = form.evidence.data
            data = filename = None
            if upload and getattr(upload, "filename", None):
                limit = int(current_app.config.get("RECORDS_MAX_BYTES", 5 * 1024 * 1024))
                data, filename = upload.read(limit + 1), upload.filename
            try:
                services.submit_observation(user, window, request.form, data, filename)
            except services.EvaluationError as error:
                problem, status = str(error), 400
            else:
                flash(_("The observation was saved."), "success")
                return redirect(url_for("evaluations.queue"))
    return render_template("evaluations/observe.html", form=form, problem=problem,
                           uploads=plugin_enabled("records"),
                           **_form_context(window, SUPERVISOR)), status


@bp.route("/<int:window_id>/evidence")
@roles_required("librarian", *OBSERVER_ROLES)
def evidence(window_id: int):
    """The observation's evidence file, to the person's supervisors and admins (and the
    person): served as the records plugin serves its files (sandboxed, no sniffing)."""
    response = services.evidence_of(_user(), window_id)
    if response is None:
        abort(404)
    from lms.plugins.records import storage

    try:
        data = storage.read(response.evidence_stored)
    except (FileNotFoundError, storage.EvidenceError):
        abort(404)
    served = Response(data, mimetype=response.evidence_type)
    served.headers.set("Content-Disposition", "inline" if response.evidence_type.startswith("image/")
                       else "attachment", filename=response.evidence_name)
    served.headers["X-Content-Type-Options"] = "nosniff"
    served.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    served.headers["Cache-Control"] = "private, no-store"
    return served


# --- results ---------------------------------------------------------------------------------

def _tables(viewer: User, locale: str) -> tuple[list[exports.Table], int]:
    """The results page's tables, exactly as exported, and how many unit groups were left
    out for having fewer than NEEDS_MIN_GROUP people observed."""
    hidden_text = _("fewer than %(n)d", n=results.min_group())
    overall = exports.Table("application", _("Application at work per competency"), [
        exports.Column("competency", _("Competency")),
        exports.Column("observed", _("People observed"), numeric=True),
        exports.Column("applied", _("Applying it"), numeric=True),
        exports.Column("rate", _("Application rate (%)"), numeric=True)])
    for row in results.by_competency(viewer):
        overall.rows.append(exports.Row([
            exports.text_cell(row.name(locale)), exports.int_cell(row.observed),
            exports.text_cell(hidden_text) if row.hidden else exports.int_cell(row.applied),
            exports.percent_cell(None if row.rate is None else row.rate * 100)]))
    by_unit = exports.Table("units", _("Application at work per competency and unit"), [
        exports.Column("competency", _("Competency")), exports.Column("unit", _("Unit")),
        exports.Column("observed", _("People observed"), numeric=True),
        exports.Column("applied", _("Applying it"), numeric=True),
        exports.Column("rate", _("Application rate (%)"), numeric=True)])
    left_out = 0
    for row in results.by_competency(viewer, by_unit=True):
        if row.hidden:
            left_out += 1
            continue
        by_unit.rows.append(exports.Row([
            exports.text_cell(row.name(locale)), exports.text_cell(row.unit_name or _("(no unit)")),
            exports.int_cell(row.observed), exports.int_cell(row.applied),
            exports.percent_cell(None if row.rate is None else row.rate * 100)]))
    gap = exports.Table("transfer-gap", _("Transfer gap: passed but not observed applying"), [
        exports.Column("competency", _("Competency")),
        exports.Column("observed", _("Passed and observed"), numeric=True),
        exports.Column("not_applied", _("Not applying it"), numeric=True),
        exports.Column("gap", _("Transfer gap (%)"), numeric=True),
        exports.Column("barriers", _("Barriers named most often"))])
    for row in results.transfer_gap(viewer):
        named = "; ".join(f"{services.BARRIERS[code]} ({count})" for code, count in row.top_barriers()
                          if code in services.BARRIERS)
        gap.rows.append(exports.Row([
            exports.text_cell(row.name(locale)), exports.int_cell(row.completed_observed),
            exports.text_cell(hidden_text) if row.gap_hidden else exports.int_cell(row.completed_not_applied),
            exports.percent_cell(None if row.gap is None else row.gap * 100), exports.text_cell(named)]))
    return [gap, overall, by_unit], left_out


@bp.route("/results")
@roles_required(*RESULT_ROLES)
def results_page():
    tables, left_out = _tables(_user(), _locale())
    return render_template("evaluations/results.html", tables=tables, left_out=left_out,
                           min_group=results.min_group())


@bp.route("/results.csv")
@roles_required(*RESULT_ROLES)
def results_csv():
    tables = {table.key: table for table in _tables(_user(), _locale())[0]}
    table = tables.get(request.args.get("table", "transfer-gap"))
    if table is None:
        abort(404)
    return exports.csv_response(table, f"evaluations-{table.key}.csv")


@bp.route("/results.xlsx")
@roles_required(*RESULT_ROLES)
def results_xlsx():
    return exports.xlsx_response(_tables(_user(), _locale())[0], "evaluations.xlsx")


# --- opening for a group ---------------------------------------------------------------------

@bp.route("/open", methods=["GET", "POST"])
@roles_required("admin")
def open_group():
    form = GroupWindowForm()
    locale = _locale()
    form.units.choices = [(unit.id, unit.name) for unit in db.session.scalars(
        select(Unit).where(Unit.id.in_(supervised_unit_ids(_user()))).order_by(Unit.name))]
    form.competency_id.choices = [(c.id, c.name_en if locale == "en" else c.name_id) for c in db.session.scalars(
        select(Competency).order_by(Competency.position, Competency.id)) if c.indicators]
    problem, status = None, 200
    if form.validate_on_submit():
        try:
            opened = services.open_group(_user(), form.units.data, form.competency_id.data, form.opens_on.data,
                                         form.closes_on.data)
        except services.EvaluationError as error:
            problem, status = str(error), 400
        else:
            flash(_("Evaluations opened for %(n)d people.", n=opened), "success")
            return redirect(url_for("evaluations.queue", state="all"))
    elif form.is_submitted():
        if form.csrf_token.errors:
            abort(400)
        status = 400
    names = dict(form.competency_id.choices)
    for competency in db.session.scalars(select(Competency)):
        names.setdefault(competency.id, competency.name_en if locale == "en" else competency.name_id)
    return render_template("evaluations/open.html", form=form, problem=problem, openings=services.group_openings(),
                           competency_names=names), status
