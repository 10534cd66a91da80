"""Assignment pages for supervisors and admins: the list with progress, a new assignment,
and deleting one.

A supervisor may pick only people and units of their own units, and only positions held by
their staff. Because a position assignment applies to everyone with that position (see
``Assignment``), a supervisor's position target is stored as one assignment per librarian
of that position in their units; an admin's is a true position assignment.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import roles_required
from lms.auth.models import Unit, User
from lms.auth.scoping import supervised_unit_ids
from lms.clock import local_today
from lms.extensions import db
from lms.i18n import localized
from lms.plugins.courses.models import Course, Module
from lms.plugins.courses.services import visible_to
from lms.plugins.learning import assigning
from lms.plugins.learning.forms import AssignmentForm, DeleteForm
from lms.plugins.learning.models import Assignment
from lms.plugins.learning.services import AssignmentRefused

bp = Blueprint("assign", __name__, url_prefix="/assignments")

ROLES = ("supervisor", "admin")


def _locale() -> str:
    return str(get_locale() or "id")


def _user() -> User:
    return current_user._get_current_object()


def subject_choices(locale: str, viewer: User | None = None) -> dict[str, list[tuple[str, str]]]:
    """Published courses (those ``viewer`` may see), each as a group: the whole course, then
    its active modules."""
    groups: dict[str, list[tuple[str, str]]] = {}
    courses = db.session.scalars(select(Course).where(Course.published.is_(True), visible_to(viewer))
                                 .order_by(Course.slug)).all()
    modules = db.session.scalars(select(Module).where(Module.active.is_(True), Module.current_version_id.is_not(None))
                                 .order_by(Module.course_id, Module.position)).all()
    by_course: dict[int, list[Module]] = {}
    for module in modules:
        by_course.setdefault(module.course_id, []).append(module)
    for course in courses:
        title = localized(course, "title", locale)
        options = [(f"course:{course.id}", _("Whole course: %(title)s", title=title))]
        options += [(f"module:{m.id}", localized(m.current_version, "title", locale)) for m in by_course.get(course.id, [])]
        groups[title] = options
    return groups


def target_choices(viewer: User) -> dict[str, list[tuple[str, str]]]:
    people = db.session.scalars(assigning.librarians_of(viewer).order_by(User.full_name)).all()
    units = db.session.scalars(select(Unit).where(Unit.id.in_(supervised_unit_ids(viewer)), Unit.active.is_(True))
                               .order_by(Unit.name)).all()
    positions = db.session.scalars(select(User.position).where(User.id.in_(assigning.librarians_of(viewer).with_only_columns(
        User.id)), User.position.is_not(None), User.position != "").distinct().order_by(User.position)).all()
    return {
        str(_("People")): [(f"user:{u.id}", f"{u.full_name} ({u.username})") for u in people],
        str(_("Units")): [(f"unit:{u.id}", u.name) for u in units],
        str(_("Positions")): [(f"position:{p}", p) for p in positions],
    }


def _form(viewer: User) -> AssignmentForm:
    form = AssignmentForm(today=local_today())
    form.subject.choices = subject_choices(_locale(), viewer)
    form.target.choices = target_choices(viewer)
    return form


@bp.route("/")
@roles_required(*ROLES)
def index():
    viewer, today = _user(), local_today()
    rows = assigning.rows_for(viewer, _locale(), today)
    counts = assigning.status_counts(assigning.librarians_in_view(viewer), today)
    return render_template("learning/assign/index.html", rows=rows, counts=counts, delete_form=DeleteForm())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*ROLES)
def new():
    viewer = _user()
    form = _form(viewer)
    if not form.validate_on_submit():
        return render_template("learning/assign/new.html", form=form), 400 if form.is_submitted() else 200
    try:
        assigning.create_from_choice(viewer, form.subject.data, form.target.data, form.due_on.data)
    except AssignmentRefused as refusal:
        form.target.errors = [*form.target.errors, str(refusal)]
        return render_template("learning/assign/new.html", form=form), 422
    flash(_("Assignment saved."), "success")
    return redirect(url_for("assign.index"))


@bp.route("/<int:assignment_id>/delete", methods=["POST"])
@roles_required(*ROLES)
def delete(assignment_id: int):
    viewer = _user()
    found = db.session.scalar(select(Assignment).where(Assignment.id == assignment_id,
                                                       Assignment.id.in_(assigning.visible_assignments(viewer))))
    if found is None:
        abort(404)
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    assigning.delete(viewer, found)
    flash(_("Assignment deleted."), "success")
    return redirect(url_for("assign.index"))
