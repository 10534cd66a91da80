"""Grading pages: the trainers' queue, grading one answer, the learner's file upload and
the file itself (to its learner, graders and admins only)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import authenticated, roles_required
from lms.extensions import db
from lms.forms import BaseForm
from lms.plugins.courses.models import ModuleVersion
from lms.plugins.grading import services
from lms.plugins.grading.models import EssayUpload
from lms.plugins.grading.questions import Essay
from lms.plugins.quizzes import services as quizzes
from lms.plugins.quizzes.models import QuizAttempt
from lms.plugins.records import storage

bp = Blueprint("grading", __name__, url_prefix="/grading")


@bp.route("/")
@roles_required("trainer", "admin", scoped=("trainer",))
def queue():
    return render_template("grading/queue.html", waiting=services.queue(current_user),
                           graded=services.recently_graded(current_user))


@bp.route("/answer/<int:answer_id>", methods=["GET", "POST"])
@roles_required("trainer", "admin", scoped=("trainer",))
def grade(answer_id: int):
    item = services.gradable(current_user, answer_id)
    if item is None:
        abort(404)
    form = BaseForm()
    error = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            levels = services.read_levels(item.question.data["rubric"], request.form)
            services.grade(current_user, item, levels, request.form.get("feedback", ""))
        except services.GradingError as refused:
            error = str(refused)
        else:
            flash(_("The grade is saved and the learner is told."), "success")
            return redirect(url_for("grading.queue"))
    chosen = {f"criterion-{i}": request.form.get(f"criterion-{i}") for i in range(len(item.question.data["rubric"]))} \
        if request.method == "POST" else (
        {f"criterion-{i}": services.level_value(points) for i, points in enumerate(item.grade.levels)}
        if item.grade else {})
    feedback = request.form.get("feedback", "") if request.method == "POST" else (item.grade.feedback if item.grade else "")
    version = db.session.get(ModuleVersion, item.attempt.module_version_id)
    criteria = [{"html": criterion["html"],
                 "levels": [{**level, "value": services.level_value(level["points"])} for level in criterion["levels"]]}
                for criterion in item.question.data["rubric"]]
    return render_template("grading/grade.html", item=item, version=version, form=form, error=error,
                           chosen=chosen, feedback=feedback, criteria=criteria,
                           answer_html=Essay.response_html(item.question.data, item.answer.response)), \
        400 if error else 200


@bp.route("/attempt/<int:attempt_id>/upload/<int:question_id>", methods=["POST"])
@authenticated
def upload(attempt_id: int, question_id: int):
    """The learner's "Upload file" button: the quiz form's answers are saved as with "Save
    answers", then the file is checked and kept (or refused, keeping nothing)."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    if not BaseForm().validate_on_submit():
        abort(400)
    back = url_for("quizzes.attempt", attempt_id=attempt.id) + f"#question-{question_id}"
    try:
        quizzes.save_answers(attempt, request.form)
    except quizzes.QuizError as refused:
        flash(str(refused), "error")
        return redirect(back)
    posted = request.files.get(f"essay-file-{question_id}")
    if posted is None or not posted.filename:
        flash(_("Choose a file first."), "error")
        return redirect(back)
    data = posted.stream.read(storage.max_bytes() + 1)
    try:
        services.attach_file(attempt, question_id, data, posted.filename)
    except services.GradingError as refused:
        flash(str(refused), "error")
        return redirect(back)
    flash(_("The file is uploaded."), "success")
    return redirect(back)


@bp.route("/file/<int:upload_id>")
@authenticated
def file(upload_id: int):
    """A learner's file, to the learner, graders and admins: everyone else a 404. Served as
    the records plugin serves evidence: type found on upload, no sniffing, sandboxed."""
    found = db.session.get(EssayUpload, upload_id)
    if found is None or not services.may_see_upload(current_user, found):
        abort(404)
    try:
        data = storage.read(found.stored)
    except (FileNotFoundError, storage.EvidenceError):
        current_app.logger.error("Essay upload %s is missing", found.id)
        abort(404)
    response = Response(data, mimetype=found.content_type)
    disposition = "inline" if found.content_type.startswith("image/") else "attachment"
    response.headers.set("Content-Disposition", disposition, filename=found.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
