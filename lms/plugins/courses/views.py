"""Learner pages: catalogue, course, module overview, lesson, and course files."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from lms.pluginmanager import hook
from lms.auth.access import authenticated
from lms.markdown_html import ATTACHMENT_TYPES
from lms.plugins.courses import services

bp = Blueprint("courses", __name__, url_prefix="/courses")


def _course_or_404(slug: str):
    course = services.get_course(slug, current_user)
    if course is None:
        abort(404)
    return course


def _module_or_404(course, module_slug: str):
    module = services.get_module(course, module_slug)
    if module is None or module.current_version is None:
        abort(404)
    return module


@bp.route("/")
@authenticated
def catalogue():
    args = request.args
    rows = services.catalogue(args.get("topic", ""), args.get("competency", ""), args.get("q", ""),
                              user=current_user._get_current_object())
    return render_template("courses/catalogue.html", rows=rows, topics=services.topics(),
                           competencies=services.competencies(), args=args)


@bp.route("/<slug>/")
@authenticated
def course(slug: str):
    course = _course_or_404(slug)
    modules = [m for m in course.modules if m.active and m.current_version is not None]
    progress = hook().lms_course_progress(user=current_user._get_current_object(), course=course)
    return render_template("courses/course.html", course=course, modules=modules, progress=progress,
                           competencies=services.competencies_by_id(course.competency_ids))


@bp.route("/<slug>/<module_slug>/")
@authenticated
def module(slug: str, module_slug: str):
    course = _course_or_404(slug)
    module = _module_or_404(course, module_slug)
    version = module.current_version
    results = hook().lms_module_panels(user=current_user._get_current_object(), module=module)
    panels = sorted((panel for result in results for panel in (result or [])), key=lambda panel: panel.order)
    return render_template("courses/module.html", course=course, module=module, version=version,
                           competencies=services.competencies_by_id(version.competencies), panels=panels)


@bp.route("/<slug>/<module_slug>/<lesson_slug>")
@authenticated
def lesson(slug: str, module_slug: str, lesson_slug: str):
    page = services.lesson_page(slug, module_slug, lesson_slug, current_user._get_current_object())
    if page is None:
        abort(404)
    # Rendered before the view is recorded: recording commits, and a commit expires every
    # object the page shows (and the signed-in user), which the template would then reload
    # one statement at a time. Nothing on the page depends on the record.
    html = render_template("courses/lesson.html", course=page.course, module=page.module, version=page.version,
                           lesson=page.lesson, previous=page.previous, next=page.next, position=page.position,
                           total=page.total, has_quiz=page.has_quiz)
    services.record_lesson_view(current_user._get_current_object(), page)
    return html


@bp.route("/<slug>/files/<path:path>")
@authenticated
def asset(slug: str, path: str):
    """Serve a course image or attachment of an allowed type, sandboxed."""
    course = _course_or_404(slug)
    found = services.get_asset(course, path)
    if found is None or "." + path.rsplit(".", 1)[-1].lower() not in ATTACHMENT_TYPES:
        abort(404)
    response = Response(found.data, mimetype=found.content_type)
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.set_etag(found.sha256)
    if found.content_type in ("text/csv", "text/plain"):
        response.headers["Content-Disposition"] = f'attachment; filename="{path.rsplit("/", 1)[-1]}"'
    return response.make_conditional(request)
