"""Who an assignment reaches, and how far they are, in SQL (the assignment pages, the
notifications and the reminders read these).

An assignment reaches the *active librarians* it applies to, with the same semantics as
``overview.assignments_query``: the user it names, every member of its unit or of any unit
below it, or everyone whose position equals its position. :func:`target_pairs` turns a
set of assignments into ``(assignment_id, user_id)`` rows; everything else aggregates them
(GROUP BY, outer joins to the completions) so no row is loaded into a Python loop.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union_all

from lms.auth.models import Unit, User, UserRole
from lms.auth.scoping import supervised_unit_ids
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.learning.models import Assignment, CourseCompletion, ModuleCompletion


def _librarian(user_id_column):
    return exists().where(UserRole.user_id == user_id_column, UserRole.role == "librarian")


def target_pairs(assignment_ids: Select) -> Select:
    """``(assignment_id, user_id)`` for every active librarian each assignment reaches.

    A unit target reaches its members and the members of every unit below it (a recursive
    CTE of (root, unit) pairs seeded only with the units the assignments name).
    """
    roots = select(Assignment.unit_id).where(Assignment.id.in_(assignment_ids), Assignment.unit_id.is_not(None))
    closure = select(Unit.id.label("root"), Unit.id.label("unit_id")).where(Unit.id.in_(roots)).cte(recursive=True)
    closure = closure.union_all(select(closure.c.root, Unit.id).join(closure, Unit.parent_id == closure.c.unit_id))
    active = and_(User.active.is_(True), _librarian(User.id))
    direct = (select(Assignment.id.label("assignment_id"), User.id.label("user_id"))
              .join(User, User.id == Assignment.user_id)
              .where(Assignment.id.in_(assignment_ids), active))
    by_unit = (select(Assignment.id.label("assignment_id"), User.id.label("user_id"))
               .join(closure, closure.c.root == Assignment.unit_id)
               .join(User, User.unit_id == closure.c.unit_id)
               .where(Assignment.id.in_(assignment_ids), active))
    by_position = (select(Assignment.id.label("assignment_id"), User.id.label("user_id"))
                   .join(User, User.position == Assignment.position)
                   .where(Assignment.id.in_(assignment_ids), Assignment.position.is_not(None), active))
    return union_all(direct, by_unit, by_position)


def targeted_user_ids(assignment_id: int) -> list[int]:
    pairs = target_pairs(select(literal(assignment_id))).subquery()
    return list(db.session.scalars(select(pairs.c.user_id).distinct().order_by(pairs.c.user_id)))


def announce(assignments) -> None:
    """Fire ``lms_assignment_created`` for each new (flushed, not yet committed) assignment,
    with the librarians it reaches: the notifications plugin tells them in the same
    transaction, which the caller commits after this - an assignment and its notifications
    are kept or lost together. For every place that creates assignments: the assignment
    form, the curriculum's approval, ``lms learning assign``."""
    from flask import current_app

    hook = current_app.extensions["lms.plugins"].hook
    for assignment in assignments:
        hook.lms_assignment_created(assignment=assignment, user_ids=targeted_user_ids(assignment.id))


def _with_done(assignment_ids: Select):
    """Target pairs with a ``done`` flag (the module or course completion exists)."""
    pairs = target_pairs(assignment_ids).subquery()
    done = case((or_(ModuleCompletion.id.is_not(None), CourseCompletion.id.is_not(None)), 1), else_=0)
    query = (select(pairs.c.assignment_id, pairs.c.user_id, done.label("done"))
             .join(Assignment, Assignment.id == pairs.c.assignment_id)
             .outerjoin(ModuleCompletion, and_(ModuleCompletion.user_id == pairs.c.user_id,
                                               ModuleCompletion.module_id == Assignment.module_id))
             .outerjoin(CourseCompletion, and_(CourseCompletion.user_id == pairs.c.user_id,
                                               CourseCompletion.course_id == Assignment.course_id)))
    return query.subquery()


def progress(assignment_ids: Select) -> dict[int, tuple[int, int]]:
    """``{assignment_id: (done, targeted)}``, one GROUP BY over the target pairs."""
    rows = _with_done(assignment_ids)
    query = (select(rows.c.assignment_id, func.sum(rows.c.done), func.count(rows.c.user_id))
             .group_by(rows.c.assignment_id))
    return {aid: (int(done or 0), int(total)) for aid, done, total in db.session.execute(query)}


def pending_due(until: date) -> list[tuple[int, int]]:
    """``(assignment_id, user_id)`` of targeted librarians who have not finished an
    assignment due on or before ``until`` (overdue ones included)."""
    due = select(Assignment.id).where(Assignment.due_on.is_not(None), Assignment.due_on <= until)
    rows = _with_done(due)
    query = (select(rows.c.assignment_id, rows.c.user_id).where(rows.c.done == 0).distinct()
             .order_by(rows.c.assignment_id, rows.c.user_id))
    return [(aid, uid) for aid, uid in db.session.execute(query)]


def visible_assignments(viewer: User) -> Select:
    """Ids of the assignments ``viewer`` may list and delete: every one for an admin; for a
    supervisor those they made or whose user or unit target lies in their units."""
    if viewer.has_role("admin"):
        return select(Assignment.id)
    units = supervised_unit_ids(viewer)
    return select(Assignment.id).where(or_(
        Assignment.assigned_by_id == viewer.id,
        Assignment.unit_id.in_(units),
        Assignment.user_id.in_(select(User.id).where(User.unit_id.in_(units)))))


@dataclass
class Row:
    assignment: Assignment
    title: str
    target: str  # a person's name, a unit's name or a position
    target_kind: str  # "user", "unit" or "position"
    due_on: date | None
    done: int
    targeted: int
    overdue: bool


def subject_title(assignment: Assignment, locale: str) -> str:
    """The module's (current version's) or course's title in ``locale``."""
    from lms.plugins.courses.services import localized

    if assignment.module_id is not None:
        module = db.session.get(Module, assignment.module_id)
        version = module.current_version
        return localized(version, "title", locale) if version else module.slug
    return localized(db.session.get(Course, assignment.course_id), "title", locale)


def subject_titles(assignment: Assignment) -> dict[str, str]:
    return {"title_id": subject_title(assignment, "id"), "title_en": subject_title(assignment, "en")}


def rows_for(viewer: User, locale: str, today: date) -> list[Row]:
    """The assignment list: newest first, with done/targeted from :func:`progress`."""
    ids = visible_assignments(viewer)
    assignments = db.session.scalars(select(Assignment).where(Assignment.id.in_(ids))
                                     .order_by(Assignment.created_at.desc(), Assignment.id.desc())).all()
    counts = progress(ids)
    users = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_([a.user_id for a in assignments if a.user_id]))).all()) if assignments else {}
    units = dict(db.session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_([a.unit_id for a in assignments if a.unit_id]))).all()) if assignments else {}
    rows = []
    for item in assignments:
        if item.user_id is not None:
            kind, target = "user", users.get(item.user_id, "")
        elif item.unit_id is not None:
            kind, target = "unit", units.get(item.unit_id, "")
        else:
            kind, target = "position", item.position or ""
        done, targeted = counts.get(item.id, (0, 0))
        rows.append(Row(assignment=item, title=subject_title(item, locale), target=target, target_kind=kind,
                        due_on=item.due_on, done=done, targeted=targeted,
                        overdue=bool(item.due_on and item.due_on < today and done < targeted)))
    return rows
