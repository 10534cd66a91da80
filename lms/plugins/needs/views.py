"""Needs pages for staff and supervisors: rounds, the self-assessment, supervisor ratings
and module feedback."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from lms.auth.access import authenticated, roles_required
from lms.extensions import db
from lms.http import parse_int
from lms.plugins.courses.models import Module
from lms.plugins.courses.services import may_see
from lms.plugins.needs import feedback, reach, rounds
from lms.plugins.needs.analysis import round_status
from lms.plugins.needs.forms import AnswersForm, FeedbackForm, RoundForm
from lms.plugins.needs.models import PATRON, SELF, SUPERVISOR

bp = Blueprint("needs", __name__, url_prefix="/needs")

STAFF_ROLES = ("supervisor", "trainer", "admin")


def _locale() -> str:
    return str(get_locale() or "id")


def _user():
    return current_user._get_current_object()


def _round_or_404(round_id: int):
    """The round when the signed-in person may open it; another organisation's is a 404."""
    return reach.round_or_404(_user(), round_id)


@bp.route("/")
@roles_required(*STAFF_ROLES)
def index():
    user = _user()
    organisation, offered = reach.chosen(user)
    rows = [(r, round_status(r), rounds.response_counts(r, user), rounds.can_manage(user, r))
            for r in rounds.listed_rounds(user, organisation)]
    creatable = reach.creatable_ids(user)
    can_create = rounds.can_manage(user) and organisation is not None and (
        creatable is None or organisation.unit_id in creatable)
    return render_template("needs/index.html", rows=rows, can_create=can_create,
                           can_see_feedback=user.has_role("trainer", "admin"), organisation=organisation,
                           organisations=offered, org_args=reach.org_args(organisation, offered))


def _round_form(user, needs_round=None, organisation=None) -> RoundForm:
    form = RoundForm(obj=needs_round)
    if needs_round is not None and request.method == "GET":
        form.unit_ids.data = [unit.id for unit in needs_round.units]
    none = SelectChoice("", _("(none)"))
    for kind, field in ((SELF, form.self_survey_id), (SUPERVISOR, form.supervisor_survey_id),
                        (PATRON, form.patron_survey_id)):
        field.choices = [none] + [SelectChoice(s.id, s.title_en if _locale() == "en" else s.title_id)
                                  for s in rounds.surveys_of_kind(kind)]
    owner = needs_round.organisation_id if needs_round is not None else (
        organisation.unit_id if organisation is not None else None)
    form.unit_ids.choices = [SelectChoice(unit.id, unit.name) for unit in rounds.allowed_units(user, owner)]
    return form


def _save_round(form: RoundForm, needs_round=None, organisation=None):
    user = _user()
    if form.validate_on_submit():
        data = rounds.RoundData(title=form.title.data, opens_on=form.opens_on.data, closes_on=form.closes_on.data,
                                self_survey_id=form.self_survey_id.data,
                                supervisor_survey_id=form.supervisor_survey_id.data,
                                patron_survey_id=form.patron_survey_id.data, unit_ids=form.unit_ids.data or [],
                                organisation_id=organisation.unit_id if organisation is not None else None)
        try:
            saved = rounds.save_round(user, data, needs_round)
        except rounds.RoundError as error:
            target = getattr(form, error.field, None) if error.field else None
            if target is not None:
                target.errors = [*target.errors, error.message]
            else:
                form.form_errors.append(error.message)
        else:
            flash(_("The round was saved."), "success")
            return redirect(url_for("needs.round_detail", round_id=saved.id))
    status = 400 if request.method == "POST" else 200
    owner = needs_round.organisation if needs_round is not None else organisation
    return render_template("needs/round_form.html", form=form, needs_round=needs_round, organisation=owner), status


@bp.route("/rounds/new", methods=["GET", "POST"])
@roles_required("supervisor", "admin")
def round_new():
    """A new round for the chosen organisation (``?org=``, as on the list it came from)."""
    user = _user()
    organisation, _offered = reach.chosen(user)
    creatable = reach.creatable_ids(user)
    if organisation is None or (creatable is not None and organisation.unit_id not in creatable):
        abort(404)
    return _save_round(_round_form(user, organisation=organisation), organisation=organisation)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@roles_required("supervisor", "admin")
def round_edit(round_id: int):
    needs_round = _round_or_404(round_id)
    user = _user()
    if not rounds.can_manage(user, needs_round):
        abort(403)
    return _save_round(_round_form(user, needs_round), needs_round)


@bp.route("/rounds/<int:round_id>")
@roles_required(*STAFF_ROLES)
def round_detail(round_id: int):
    needs_round = _round_or_404(round_id)
    user = _user()
    return render_template("needs/round.html", needs_round=needs_round, status=round_status(needs_round),
                           counts=rounds.response_counts(needs_round, user),
                           rates=rounds.unit_rates(needs_round, user), can_edit=rounds.can_manage(user, needs_round),
                           can_rate=user.has_role("supervisor") and needs_round.supervisor_survey is not None)


# --- the self-assessment ----------------------------------------------------------------------

@bp.route("/rounds/<int:round_id>/self", methods=["GET", "POST"])
@roles_required("librarian")
def self_assessment(round_id: int):
    user = _user()
    needs_round = rounds.get_round(round_id)
    if needs_round is None or not (rounds.in_scope(needs_round, user) or reach.can_see(user, needs_round)):
        abort(404)
    status = round_status(needs_round)
    if needs_round.self_survey is None or not rounds.in_scope(needs_round, user):
        return render_template("needs/closed.html", needs_round=needs_round, reason="not_in_round"), 403
    response = rounds.staff_response(needs_round, SELF, user, user)
    if status != "open":
        if request.method == "POST":
            return render_template("needs/closed.html", needs_round=needs_round, reason=status), 403
        if status == "upcoming" or response is None:
            return render_template("needs/closed.html", needs_round=needs_round, reason=status)
        return render_template("needs/self.html", needs_round=needs_round, survey=needs_round.self_survey,
                               groups=rounds.grouped_items(needs_round.self_survey),
                               answers=rounds.answers_of(response), read_only=True, form=None, item_errors={})
    form = AnswersForm()
    answers, item_errors, code = rounds.answers_of(response), {}, 200
    if form.validate_on_submit():
        try:
            rounds.submit_self(needs_round, user, request.form)
        except rounds.AnswerError as error:
            code, item_errors = 400, error.item_errors
            answers = _posted(request.form, ("importance", "ability"))
            flash(error.message, "error")
        else:
            flash(_("Thank you. Your answers were saved; you can change them until %(date)s.",
                    date=_format_date(needs_round.closes_on)), "success")
            return redirect(url_for("needs.self_assessment", round_id=needs_round.id))
    elif request.method == "POST":
        code = 400
    return render_template("needs/self.html", needs_round=needs_round, survey=needs_round.self_survey,
                           groups=rounds.grouped_items(needs_round.self_survey), answers=answers, read_only=False,
                           form=form, item_errors=item_errors, answered=response is not None), code


def _posted(form, fields) -> dict[str, dict[str, int]]:
    """The valid answers of a refused submission, so the form keeps them."""
    answers: dict[str, dict[str, int]] = {}
    for name, raw in form.items():
        prefix, _sep, key = name.partition("-")
        value = parse_int(raw, min=1, max=5)
        if prefix in fields and value is not None:
            answers.setdefault(key, {})[prefix] = value
    return answers


def _format_date(value) -> str:
    from flask_babel import format_date

    return format_date(value, "long")


# --- supervisor ratings -----------------------------------------------------------------------

@bp.route("/rounds/<int:round_id>/ratings")
@roles_required("supervisor")
def ratings(round_id: int):
    needs_round = _round_or_404(round_id)
    if needs_round.supervisor_survey is None:
        abort(404)
    return render_template("needs/ratings.html", needs_round=needs_round, status=round_status(needs_round),
                           people=rounds.rating_subjects(needs_round, _user()))


@bp.route("/rounds/<int:round_id>/ratings/<int:user_id>", methods=["GET", "POST"])
@roles_required("supervisor")
def rating(round_id: int, user_id: int):
    needs_round = _round_or_404(round_id)
    supervisor = _user()
    subject = rounds.rating_subject(needs_round, supervisor, user_id)
    if needs_round.supervisor_survey is None or subject is None:
        abort(404)
    status = round_status(needs_round)
    response = rounds.staff_response(needs_round, SUPERVISOR, subject, supervisor)
    form = AnswersForm()
    answers, item_errors, code = rounds.answers_of(response), {}, 200
    if status != "open":
        if request.method == "POST":
            return render_template("needs/closed.html", needs_round=needs_round, reason=status), 403
    elif form.validate_on_submit():
        try:
            rounds.submit_rating(needs_round, supervisor, subject, request.form)
        except rounds.AnswerError as error:
            code, item_errors = 400, error.item_errors
            answers = _posted(request.form, ("ability",))
            flash(error.message, "error")
        else:
            flash(_("The rating of %(name)s was saved.", name=subject.full_name), "success")
            return redirect(url_for("needs.ratings", round_id=needs_round.id))
    elif request.method == "POST":
        code = 400
    return render_template("needs/rating.html", needs_round=needs_round, subject=subject,
                           survey=needs_round.supervisor_survey,
                           groups=rounds.grouped_items(needs_round.supervisor_survey), answers=answers,
                           read_only=status != "open", form=form, item_errors=item_errors), code


# --- module feedback --------------------------------------------------------------------------

@bp.route("/feedback/<int:module_id>", methods=["POST"])
@authenticated
def feedback_post(module_id: int):
    module = db.session.get(Module, module_id)
    if module is None or module.current_version is None or not may_see(current_user, module.course):
        abort(404)  # a course private to another library does not exist here
    user = _user()
    if not feedback.has_completed(user.id, module.id):
        abort(403)
    form = FeedbackForm()
    back = url_for("courses.module", slug=module.course.slug, module_slug=module.slug)
    if form.validate_on_submit():
        try:
            feedback.save_feedback(user, module, useful=form.useful.data, clear=form.clear.data,
                                   applicable=form.applicable.data, comment=form.comment.data or "")
        except feedback.FeedbackError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Thank you for your feedback."), "success")
            return redirect(back + "#module-feedback")
    return render_template("needs/feedback_form.html", form=form, module=module, back=back), 400


@bp.route("/feedback/")
@roles_required("trainer", "admin")
def feedback_index():
    sort = request.args.get("sort", "lowest")
    if sort not in feedback.SORTS:
        sort = "lowest"
    return render_template("needs/feedback.html", rows=feedback.summary_rows(_locale(), sort), sort=sort,
                           comments=feedback.latest_comments(_locale()))
