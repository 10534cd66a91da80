"""Upload page for patron-survey CSV files."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import roles_required
from lms.auth.models import Unit
from lms.auth.scoping import supervised_unit_ids
from lms.extensions import db
from lms.plugins.needs import patron, reach
from lms.plugins.needs.models import NeedsRound
from lms.plugins.needs.patron_forms import PatronUploadForm

bp = Blueprint("needs_patron", __name__, url_prefix="/needs/patron")


def _allowed_unit_ids(user) -> set[int] | None:
    """None for admins (every unit and responses without one), else the supervised units."""
    if user.has_role("admin"):
        return None
    return set(db.session.scalars(supervised_unit_ids(user)))


def _fill_choices(form: PatronUploadForm, allowed: set[int] | None, user) -> None:
    form.survey_id.choices = [(s.id, f"{s.title_id} ({s.slug})") for s in patron.patron_surveys()]
    form.round_id.choices = [("", _("Automatic: the open round, else the latest closed one"))] + [
        (r.id, r.title) for r in patron.patron_rounds(reach.visible(user))]
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name))
    blank = _("From the file's unit column (or none)") if allowed is None else _("From the file's unit column")
    form.unit_id.choices = [("", blank)] + [(u.id, u.name) for u in units if allowed is None or u.id in allowed]


@bp.route("/", methods=["GET", "POST"])
@roles_required("admin", "supervisor")
def upload():
    user = current_user._get_current_object()
    allowed = _allowed_unit_ids(user)
    form = PatronUploadForm()
    _fill_choices(form, allowed, user)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        survey = next(s for s in patron.patron_surveys() if s.id == form.survey_id.data)
        unit = db.session.get(Unit, form.unit_id.data) if form.unit_id.data else None
        limit = current_app.config["NEEDS_CSV_MAX_BYTES"]
        data = form.file.data.read(limit + 1)
        try:
            result = patron.import_patron_csv(
                data, form.file.data.filename or "upload.csv", survey.slug, round_id=form.round_id.data,
                unit_code=unit.code if unit else None, imported_by_id=user.id, allowed_unit_ids=allowed,
                date_format=form.date_format.data or None, rounds_where=reach.visible(user))
        except patron.PatronImportError as error:
            problems = error.problems
            status = 400
        else:
            record = result.record
            flash(_("Imported %(n)d patron responses into the round \"%(round)s\".", n=record.rows,
                    round=db.session.get(NeedsRound, record.round_id).title), "success")
            for line in result.lines():
                flash(line, "info")
            return redirect(url_for("needs_patron.upload"))
    elif form.is_submitted():
        status = 400
    imports = patron.recent_imports(allowed, imported_by_id=user.id, rounds_where=reach.visible(user))
    return render_template("needs/patron/upload.html", form=form, problems=problems, imports=imports,
                           surveys=patron.patron_surveys()), status
