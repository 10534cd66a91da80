"""Quiz pages: overview, the attempt (answers saved as you go), submit, review."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.auth.access import authenticated, roles_required
from lms.clock import aware
from lms.core.views import render_error
from lms.extensions import db
from lms.forms import BaseForm
from lms.http import int_arg
from lms.plugins.courses.models import Course, Module, ModuleVersion
from lms.plugins.courses.services import visible_to
from lms.plugins.quizzes import results, services
from lms.plugins.quizzes.models import IN_PROGRESS, QuizAttempt

bp = Blueprint("quizzes", __name__, url_prefix="/quiz")


def _module(slug: str, module_slug: str) -> tuple[Course, Module]:
    """The published course's active module with its current version, in one query; a
    course private to another library is not found (courses.services.visible_to)."""
    found = db.session.execute(
        select(Course, Module).join(Module, Module.course_id == Course.id)
        .options(joinedload(Module.current_version))
        .where(Course.slug == slug, Course.published.is_(True), Module.slug == module_slug,
               Module.active.is_(True), visible_to(current_user._get_current_object()))).first()
    if found is None or found[1].current_version is None:
        abort(404)
    return found[0], found[1]


def _own_attempt(attempt_id: int) -> QuizAttempt:
    """The attempt, only for its owner: another user's id answers 404, revealing nothing."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


def _context(attempt: QuizAttempt):
    module = db.session.get(Module, attempt.module_id)
    return module.course, module, db.session.get(ModuleVersion, attempt.module_version_id)


@bp.route("/<slug>/<module_slug>/")
@authenticated
def overview(slug: str, module_slug: str):
    course, module = _module(slug, module_slug)
    attempts = [services.close_if_late(a) for a in services.attempts_of(current_user.id, module.id)]
    percent, passed = services.module_grade(current_user.id, module)
    return render_template("quizzes/overview.html", course=course, module=module, version=module.current_version,
                           settings=services.settings(module.current_version), attempts=attempts,
                           grade=percent, passed=passed, left=services.attempts_left(current_user.id, module),
                           open_attempt=services.open_attempt(current_user.id, module.id), form=BaseForm())


@bp.route("/<slug>/<module_slug>/start", methods=["POST"])
@authenticated
def start(slug: str, module_slug: str):
    course, module = _module(slug, module_slug)
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        attempt = services.start_attempt(current_user.id, module)
    except services.QuizError as error:
        flash(str(error), "error")
        return redirect(url_for("quizzes.overview", slug=slug, module_slug=module_slug))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route("/attempt/<int:attempt_id>")
@authenticated
def attempt(attempt_id: int):
    attempt = services.close_if_late(_own_attempt(attempt_id))
    if attempt.status != IN_PROGRESS:
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    return _render_attempt(attempt, {})


def _posted_values(posted, field: str) -> dict[str, list[str]] | None:
    """The posted form's fields of one question (``q-7``, ``q-7-0``...), or None when the
    form did not carry that question."""
    found = {key: posted.getlist(key) for key in posted.keys() if key == field or key.startswith(field + "-")}
    return found or None


def _render_attempt(attempt: QuizAttempt, errors: dict[int, str], status: int = 200, *, posted=None,
                    unanswered: list[int] | None = None, notice: str | None = None):
    """The attempt page. Each widget shows ``fields`` (field -> list of strings): what was
    posted when a submit was refused or held for confirmation, else the saved answer."""
    course, module, version = _context(attempt)
    types = services.registry()
    saved = {a.question_id: a.response for a in attempt.answers}
    items = []
    for q in services.attempt_questions(attempt):
        qtype, layout, field = types[q.type], attempt.layout["items"][str(q.id)], f"q-{q.id}"
        values = _posted_values(posted, field) if posted is not None else None
        items.append({"question": q, "type": qtype, "view": qtype.present(q.data, layout),
                      "response": saved.get(q.id), "error": errors.get(q.id),
                      "fields": values if values is not None else qtype.form_values(saved.get(q.id), layout, field),
                      "unanswered": q.id in (unanswered or ())})
    blank = [(number, item["question"].id) for number, item in enumerate(items, start=1) if item["unanswered"]]
    return render_template("quizzes/attempt.html", course=course, module=module, version=version,
                           attempt=attempt, items=items, form=BaseForm(), unanswered=blank, notice=notice,
                           deadline=aware(attempt.deadline)), status


@bp.errorhandler(CSRFError)
def _expired_form(error):
    """A refused token on the attempt's own forms (an expired session, a page left open too
    long) shows the page again with everything that was posted, saving nothing: the learner
    only has to press the button again. Elsewhere, the usual 400 page."""
    if request.endpoint in ("quizzes.save", "quizzes.submit") and current_user.is_authenticated:
        attempt = db.session.get(QuizAttempt, (request.view_args or {}).get("attempt_id"))
        if attempt is not None and attempt.user_id == current_user.id and attempt.status == IN_PROGRESS:
            message = _("The form had expired, so nothing was saved. Your answers are shown again: "
                        "press the button once more.")
            if request.accept_mimetypes.best == "application/json":
                return jsonify({"error": message}), 400
            return _render_attempt(attempt, {}, 400, posted=request.form, notice=message)
    return render_error(error)


@bp.route("/attempt/<int:attempt_id>/save", methods=["POST"])
@authenticated
def save(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        result = services.save_answers(attempt, request.form)
    except services.QuizError as error:
        return (jsonify({"error": str(error)}), 400) if wants_json else (str(error), 400)
    if wants_json:
        return jsonify({"saved": result.saved, "closed": result.closed,
                        "errors": {str(k): v for k, v in result.errors.items()}}), (409 if result.closed else 200)
    if result.closed:
        flash(_("The time for this attempt is over; it was submitted with the answers saved in time."), "info")
        return redirect(url_for("quizzes.review", attempt_id=services.close_if_late(attempt).id))
    if result.errors:
        return _render_attempt(attempt, result.errors, 400, posted=request.form)
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@bp.route("/attempt/<int:attempt_id>/submit", methods=["POST"])
@authenticated
def submit(attempt_id: int):
    attempt = _own_attempt(attempt_id)
    try:
        attempt, result = services.submit_attempt(attempt, request.form,
                                                  confirmed="confirm_unanswered" in request.form)
    except services.QuizError as error:
        abort(400, description=str(error))
    if result.errors:
        return _render_attempt(attempt, result.errors, 400, posted=request.form)
    if result.unanswered:  # saved, not graded: ask before submitting with blanks
        return _render_attempt(attempt, {}, posted=request.form, unanswered=result.unanswered)
    return redirect(url_for("quizzes.review", attempt_id=attempt.id))


@bp.route("/attempt/<int:attempt_id>/review")
@authenticated
def review(attempt_id: int):
    attempt = services.close_if_late(_own_attempt(attempt_id))
    if attempt.status == IN_PROGRESS:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    course, module, version = _context(attempt)
    types = services.registry()
    show = services.show_feedback(attempt, module)
    answers = {a.question_id: a for a in attempt.answers}
    items = []
    for question in services.attempt_questions(attempt):
        answer = answers.get(question.id)
        qtype = types[question.type]
        response = answer.response if answer else None
        credit = answer.credit if answer else 0.0
        items.append({"question": question, "credit": credit, "pending": credit is None,
                      "extra": qtype.review_extra(answer) if qtype.review_template else {},
                      "type": qtype, "given_html": qtype.response_html(question.data, response),
                      "feedback": qtype.feedback(question.data, response) if show else [],
                      "answer_html": qtype.answer_html(question.data) if show else ""})
    percent, passed = services.module_grade(current_user.id, module)
    return render_template("quizzes/review.html", course=course, module=module, version=version, attempt=attempt,
                           items=items, show=show, grade=percent, module_passed=passed,
                           awaiting=services.awaiting_grading(attempt),
                           retry=services.can_retry(current_user.id, module), form=BaseForm())


@bp.route("/results/<slug>/<module_slug>/")
@roles_required("trainer", "admin")
def results_page(slug: str, module_slug: str):
    """Attempts and scores per module, and per question the share answered right."""
    course, module = _module(slug, module_slug)
    numbers = {v.number: v.id for v in module.versions}
    chosen = int_arg("version")
    version_id = numbers.get(chosen) if chosen else None
    return render_template("quizzes/results.html", course=course, module=module, versions=sorted(numbers),
                           chosen=chosen if version_id else None,
                           summary=results.module_summary(module, version_id),
                           questions=results.question_summary(module, version_id), types=services.registry())
