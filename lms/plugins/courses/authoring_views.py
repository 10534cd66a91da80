"""Trainers' pages: edit modules in the browser, preview, drafts, publish, versions, download."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import protect_blueprint
from lms.extensions import db
from lms.forms import BaseForm
from lms.http import int_arg
from lms.plugins.courses import authoring
from lms.plugins.courses.forms import MAX_MODULE_CHARS, ModuleEditForm, NewModuleForm
from lms.plugins.courses.models import Course, Module, ModuleDraft, ModuleVersion

bp = protect_blueprint(Blueprint("authoring", __name__, url_prefix="/authoring"), "trainer", "admin")


def _course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _module(course: Course, module_slug: str) -> Module:
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.slug == module_slug))
    if module is None:
        abort(404)
    return module


@bp.route("/")
def index():
    courses = list(db.session.scalars(select(Course).order_by(Course.title_id)))
    drafts = {draft.module_id: draft for draft in db.session.scalars(select(ModuleDraft))}
    return render_template("courses/authoring/index.html", courses=courses, drafts=drafts,
                           new_form=NewModuleForm(), confirm=BaseForm())


@bp.route("/<slug>/new", methods=["POST"])
def new_module(slug: str):
    course = _course(slug)
    form = NewModuleForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("authoring.index")), 303
    if any(m.slug == form.slug.data for m in course.modules):
        flash(_("A module with this short name already exists in the course."), "error")
        return redirect(url_for("authoring.index")), 303
    module = authoring.new_module(course, form.slug.data, form.title.data, current_user.id)
    return redirect(url_for("authoring.edit", slug=slug, module_slug=module.slug))


@bp.route("/<slug>/<module_slug>/edit", methods=["GET", "POST"])
def edit(slug: str, module_slug: str):
    course = _course(slug)
    module = _module(course, module_slug)
    source, draft = authoring.editable_source(module)
    form = ModuleEditForm(source=source)
    check = preview = None
    status = 200
    if form.validate_on_submit():
        action = request.form.get("action", "preview")
        text = form.source.data
        if action == "save":
            authoring.save_draft(module, text, current_user.id)
            check = authoring.check_module(course, module, text)
            flash(_("Draft saved.") if check.ok else _("Draft saved. It has problems to fix before publishing."),
                  "success" if check.ok else "info")
            if check.ok:
                return redirect(url_for("authoring.edit", slug=slug, module_slug=module_slug))
            status = 422
        elif action == "publish":
            result = authoring.publish(course, module, text, current_user.id)
            if isinstance(result, ModuleVersion):
                flash(_("Published as version %(n)d.", n=result.number), "success")
                return redirect(url_for("authoring.versions", slug=slug, module_slug=module_slug))
            check, status = result, 422
            flash(_("Not published: please fix the problems listed."), "error")
        else:
            check = authoring.check_module(course, module, text)
        preview = authoring.preview_html(course, check)
    elif request.method == "POST":
        status = 400
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    return render_template("courses/authoring/edit.html", course=course, module=module, form=form, check=check,
                           preview=preview, draft=draft, confirm=BaseForm()), status


@bp.route("/<slug>/<module_slug>/preview", methods=["POST"])
def live_preview(slug: str, module_slug: str):
    """JSON preview for the editor's script: same pipeline, nothing saved."""
    course = _course(slug)
    module = _module(course, module_slug)
    text = request.form.get("source", "")
    if len(text) > MAX_MODULE_CHARS:
        return jsonify({"error": _("The module is too long.")}), 413
    check = authoring.check_module(course, module, text)
    return jsonify({"html": authoring.preview_html(course, check),
                    "problems": [{"line": line, "message": message} for line, message in check.problems]})


@bp.route("/<slug>/<module_slug>/discard", methods=["POST"])
def discard(slug: str, module_slug: str):
    course = _course(slug)
    module = _module(course, module_slug)
    if not BaseForm().validate_on_submit():
        abort(400)
    authoring.discard_draft(module)
    flash(_("The draft was discarded."), "success")
    return redirect(url_for("authoring.edit", slug=course.slug, module_slug=module.slug))


@bp.route("/<slug>/<module_slug>/versions")
def versions(slug: str, module_slug: str):
    course = _course(slug)
    module = _module(course, module_slug)
    numbers = [v.number for v in module.versions]
    older = int_arg("from")
    newer = int_arg("to")
    diff = None
    if older in numbers and newer in numbers:
        by_number = {v.number: v for v in module.versions}
        diff = authoring.version_diff(by_number[older], by_number[newer])
    return render_template("courses/authoring/versions.html", course=course, module=module, diff=diff,
                           older=older, newer=newer)


@bp.route("/<slug>/download")
def download(slug: str):
    course = _course(slug)
    data = authoring.course_zip(course)
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{course.slug}.zip"'})


