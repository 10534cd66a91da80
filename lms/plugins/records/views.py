"""Training-record pages: my records, adding and changing one, a record with its evidence,
and the supervisors' review queue with verify and reject."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from lms.auth.access import roles_required
from lms.auth.models import User
from lms.extensions import db
from lms.http import int_arg
from lms.plugins.courses.models import Competency
from lms.plugins.records import services, storage
from lms.plugins.records.forms import KIND_LABELS, NewRecordForm, RecordForm, RejectForm, TokenForm
from lms.plugins.records.models import STATUSES, SUBMITTED

bp = Blueprint("records", __name__, url_prefix="/records")

ROLES = ("librarian", "supervisor", "admin")
REVIEW_ROLES = ("supervisor", "admin")


def _user() -> User:
    return current_user._get_current_object()


def _record_or_404(record_id: int):
    record = services.get_visible(_user(), record_id)
    if record is None:
        abort(404)
    return record


def _competency_choices() -> list[tuple]:
    english = str(get_locale() or "id") == "en"
    rows = db.session.scalars(select(Competency).order_by(Competency.position, Competency.id))
    return [SelectChoice("", _("(none)"))] + [SelectChoice(c.id, c.name_en if english else c.name_id) for c in rows]


def _fill(form: RecordForm, people: list[User]) -> None:
    form.user_id.choices = [SelectChoice(person.id, person.full_name) for person in people]
    form.competency_id.choices = _competency_choices()


def _data(form: RecordForm) -> services.RecordData:
    return services.RecordData(kind=form.kind.data, provider=form.provider.data or "", topic=form.topic.data or "",
                               start_on=form.start_on.data, end_on=form.end_on.data, jp=float(form.jp.data),
                               competency_id=form.competency_id.data)


def _max_mb() -> str:
    return f"{storage.max_bytes() / (1024 * 1024):g}"


def _upload(form: RecordForm) -> tuple[bytes | None, str | None]:
    """The uploaded bytes (one more than the limit at most, so "too large" is still seen)."""
    upload = form.evidence.data
    if not upload or not getattr(upload, "filename", None):
        return None, None
    return upload.read(storage.max_bytes() + 1), upload.filename


@bp.route("/")
@roles_required(*ROLES)
def index():
    user = _user()
    return render_template("records/index.html", records=services.own_records(user.id), kinds=KIND_LABELS,
                           is_reviewer=services.is_reviewer(user))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new():
    user = _user()
    people = list(db.session.scalars(services.people_for(user)))
    if not people:
        abort(403)
    form = NewRecordForm()
    _fill(form, people)
    if request.method == "GET":
        wanted = int_arg("user_id")
        form.user_id.data = wanted if wanted in {p.id for p in people} else people[0].id
    problem, status = None, 200
    if form.validate_on_submit():
        target = next(p for p in people if p.id == form.user_id.data)
        data, filename = _upload(form)
        try:
            record = services.create(user, target, _data(form), data or b"", filename)
        except services.RecordError as error:
            problem, status = str(error), 400
        else:
            flash(_("The record was saved and waits for verification."), "success")
            return redirect(url_for("records.show", record_id=record.id))
    elif form.is_submitted():
        status = 400
    return render_template("records/form.html", form=form, problem=problem, record=None, max_mb=_max_mb(),
                           choose_person=len(people) > 1), status


@bp.route("/<int:record_id>")
@roles_required(*ROLES)
def show(record_id: int):
    user = _user()
    record = _record_or_404(record_id)
    return render_template("records/show.html", record=record, kinds=KIND_LABELS,
                           can_edit=services.can_edit(user, record), can_review=services.can_review(user, record),
                           token_form=TokenForm(), reject_form=RejectForm(),
                           competency=db.session.get(Competency, record.competency_id) if record.competency_id else None)


@bp.route("/<int:record_id>/edit", methods=["GET", "POST"])
@roles_required(*ROLES)
def edit(record_id: int):
    user = _user()
    record = _record_or_404(record_id)
    if not services.can_edit(user, record):
        abort(403)
    form = RecordForm(obj=record)
    _fill(form, [record.user])
    form.user_id.data = record.user_id
    problem, status = None, 200
    if form.validate_on_submit():
        data, filename = _upload(form)
        try:
            services.update(user, record, _data(form), data, filename)
        except services.RecordError as error:
            problem, status = str(error), 400
        else:
            flash(_("The record was updated."), "success")
            return redirect(url_for("records.show", record_id=record.id))
    elif form.is_submitted():
        status = 400
    return render_template("records/form.html", form=form, problem=problem, record=record, max_mb=_max_mb(),
                           choose_person=False), status


@bp.route("/<int:record_id>/delete", methods=["POST"])
@roles_required(*ROLES)
def delete(record_id: int):
    user = _user()
    record = _record_or_404(record_id)
    form = TokenForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.delete(user, record)
    except services.RecordError as error:
        flash(str(error), "error")
        return redirect(url_for("records.show", record_id=record_id))
    flash(_("The record was deleted."), "success")
    return redirect(url_for("records.index"))


@bp.route("/<int:record_id>/evidence")
@roles_required(*ROLES)
def evidence(record_id: int):
    """The evidence file, to people who may see the record only. Images open in the browser
    (sandboxed, no sniffing); PDFs are downloaded."""
    record = _record_or_404(record_id)
    try:
        data = storage.read(record.evidence_stored)
    except (FileNotFoundError, storage.EvidenceError):
        current_app.logger.error("Evidence file of record %s is missing", record.id)
        abort(404)
    response = Response(data, mimetype=record.evidence_type)
    disposition = "inline" if record.evidence_type.startswith("image/") else "attachment"
    response.headers.set("Content-Disposition", disposition, filename=record.evidence_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/review")
@roles_required(*REVIEW_ROLES)
def review():
    status = request.args.get("status", SUBMITTED)
    if status not in STATUSES and status != "all":
        status = SUBMITTED
    return render_template("records/review.html", records=services.review_queue(_user(), status), status=status,
                           statuses=STATUSES, kinds=KIND_LABELS)


@bp.route("/<int:record_id>/verify", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def verify(record_id: int):
    user = _user()
    record = _record_or_404(record_id)
    if not TokenForm().validate_on_submit():
        abort(400)
    try:
        services.verify(user, record)
    except services.RecordError as error:
        flash(str(error), "error")
        return redirect(url_for("records.show", record_id=record_id))
    flash(_("The record was verified; its JP now counts."), "success")
    return redirect(url_for("records.review"))


@bp.route("/<int:record_id>/reject", methods=["POST"])
@roles_required(*REVIEW_ROLES)
def reject(record_id: int):
    user = _user()
    record = _record_or_404(record_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            services.reject(user, record, form.reason.data)
        except services.RecordError as error:
            flash(str(error), "error")
        else:
            flash(_("The record was rejected."), "success")
            return redirect(url_for("records.review"))
    elif form.csrf_token.errors:
        abort(400)
    return render_template("records/show.html", record=record, kinds=KIND_LABELS,
                           can_edit=services.can_edit(user, record), can_review=services.can_review(user, record),
                           token_form=TokenForm(), reject_form=form,
                           competency=db.session.get(Competency, record.competency_id)
                           if record.competency_id else None), 400
