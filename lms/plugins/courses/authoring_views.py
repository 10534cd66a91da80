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
from lms.plugins.courses import authoring, services
from lms.plugins.courses.forms import MAX_MODULE_CHARS, CourseSharingForm, ModuleEditForm, NewModuleForm
from lms.plugins.courses.models import Course, Module, ModuleDraft, ModuleVersion

# Trainers and admins of one library open it too (scoped): every view goes through _course()
# (services.may_edit) or lists services.editable_by, so they edit only their library's courses.
bp = protect_blueprint(Blueprint("authoring", __name__, url_prefix="/authoring"), "trainer", "admin", scoped=True)


def _course(slug: str) -> Course:
    """The course ``slug`` if the signed-in editor may edit it: a private course they may not
    see does not exist for them (404); one they see but may not edit is refused (403)."""
    user = current_user._get_current_object()
    course = db.session.scalar(select(Course).where(Course.slug == slug, services.visible_to(user)))
    if course is None:
        abort(404)
    if not services.may_edit(user, course):
        abort(403)
    return course


def _module(course: Course, module_slug: str) -> Module:
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.slug == module_slug))
    if module is None:
        abort(404)
    return module


@bp.route("/")
def index():
    courses = list(db.session.scalars(select(Course).where(services.editable_by(current_user._get_current_object()))
                                      .order_by(Course.title_id)))
    drafts = {draft.module_id: draft for draft in db.session.scalars(select(ModuleDraft))}
    owners = dict(services.organisation_choices(current_user._get_current_object()))
    return render_template("courses/authoring/index.html", courses=courses, drafts=drafts, owners=owners,
                           new_form=NewModuleForm(), confirm=BaseForm())


def _sharing_form(course: Course) -> CourseSharingForm:
    """The sharing field: "shared" only for those who may share with the whole network, then
    the organisations the editor may act for (and the course's own, so it stays shown)."""
    user = current_user._get_current_object()
    form = CourseSharingForm(organisation=str(course.organisation_id or ""))
    choices = [(str(unit_id), name) for unit_id, name in services.organisation_choices(user)]
    if services.editable_organisation_ids(user) is None:
        choices.insert(0, ("", _("Shared: every library in the network")))
    form.organisation.choices = choices
    return form


@bp.route("/<slug>/sharing", methods=["GET", "POST"])
def sharing(slug: str):
    """Shared across the network, or private to one organisation (the browser's form of the
    ``organisation:`` front matter; an export writes it back)."""
    course = _course(slug)
    form = _sharing_form(course)
    if form.validate_on_submit():
        chosen = int(form.organisation.data) if form.organisation.data else None
        try:
            changed = services.set_organisation(course, chosen, current_user._get_current_object())
        except PermissionError as refusal:
            flash(str(refusal), "error")
            return render_template("courses/authoring/sharing.html", course=course, form=form), 403
        if changed:
            flash(_("Saved: %(course)s is now %(who)s.", course=course.slug,
                    who=services.organisation_label(chosen)), "success")
        return redirect(url_for("authoring.index") + f"#course-{course.slug}", 303)
    status = 400 if form.is_submitted() else 200
    return render_template("courses/authoring/sharing.html", course=course, form=form), status


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


