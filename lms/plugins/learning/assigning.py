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
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union_all

from lms.pluginmanager import hook
from lms.audit import services as audit
from lms.auth.models import Unit, User, UserRole
from lms.auth.scoping import scoped_users, supervised_unit_ids
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.learning.models import Assignment, CourseCompletion, ModuleCompletion
from lms.plugins.learning.services import AssignmentRefused
from lms.transactions import refusals_roll_back


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
    for assignment in assignments:
        hook().lms_assignment_created(assignment=assignment, user_ids=targeted_user_ids(assignment.id))


def librarians_of(viewer: User) -> Select:
    """The active librarians ``viewer`` may assign to (everyone for an admin, their units'
    staff for a supervisor), as a select of users."""
    scoped = scoped_users(viewer).subquery()
    return (select(User).join(scoped, scoped.c.id == User.id)
            .where(User.active.is_(True),
                   User.id.in_(select(UserRole.user_id).where(UserRole.role == "librarian"))))


@refusals_roll_back(AssignmentRefused)
def create_from_choice(viewer: User, subject: str, target: str, due_on: date | None) -> list[Assignment]:
    """The assignment form's choice - ``subject`` ``course:<id>``/``module:<id>``, ``target``
    ``user:<id>``/``unit:<id>``/``position:<name>`` (validated against the viewer's choices
    by the form) - made, announced and committed together. A supervisor's position becomes
    one assignment per librarian of that position in their units (``Assignment`` applies a
    position to everyone holding it); an admin's is a true position assignment."""
    from lms.plugins.learning import services

    subject_kind, _sep, subject_id = subject.partition(":")
    chosen = {"module_id": int(subject_id)} if subject_kind == "module" else {"course_id": int(subject_id)}
    kind, _sep, value = target.partition(":")
    common = {"due_on": due_on, "assigned_by_id": viewer.id, **chosen}
    if kind == "user":
        created = [services.assign(user_id=int(value), **common)]
    elif kind == "unit":
        created = [services.assign(unit_id=int(value), **common)]
    elif viewer.has_role("admin"):
        created = [services.assign(position=value, **common)]
    else:  # a supervisor's position: its holders among their librarians, one by one
        ids = db.session.scalars(librarians_of(viewer).with_only_columns(User.id).where(User.position == value)
                                 .order_by(User.id)).all()
        created = [services.assign(user_id=uid, via_position=value, **common) for uid in ids]
    announce(created)  # the notifications go with the assignments, in one commit
    db.session.commit()
    return created


def delete(viewer: User, assignment: Assignment) -> None:
    """Delete an assignment ``viewer`` may manage (:func:`visible_assignments`; the caller
    checks), with an audit entry naming what it was."""
    audit.record("learning.assignment_deleted", "assignment", assignment.id, actor_id=viewer.id,
                 module_id=assignment.module_id, course_id=assignment.course_id, user_id=assignment.user_id,
                 unit_id=assignment.unit_id, position=assignment.position,
                 due=assignment.due_on.isoformat() if assignment.due_on else None)
    db.session.delete(assignment)
    db.session.commit()


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


# --- assignment status: the one source of truth -------------------------------------------
#
# Home, *My learning*, the assignment page, the supervisor dashboard and its home summary all
# read a person's assignments through :func:`status_select`, so they cannot disagree on what
# is overdue. An assignment applies only to the active librarians it targets (the rule of
# :func:`target_pairs`): an administrator or a trainer in the library's root unit is not
# reached by a library-wide assignment.

DONE, OVERDUE, DUE_SOON, OPEN = "done", "overdue", "due_soon", "open"
STATUS_ORDER = (OVERDUE, DUE_SOON, OPEN, DONE)  # what needs the person first


def due_soon_days() -> int:
    """How many days ahead an unfinished assignment counts as *due soon* (``DUE_SOON_DAYS``)."""
    return int(current_app.config.get("DUE_SOON_DAYS", 7))


def reach_of(user_ids: Select) -> Select:
    """``(assignment_id, user_id, via)`` for every assignment reaching an active librarian among
    ``user_ids``: named (``via`` "user"), through their unit or any unit above it ("unit"), or
    through their position ("position"). Starts from the people, so the cost follows them."""
    people = (select(User.id.label("user_id"), User.unit_id.label("unit_id"), User.position.label("position"))
              .where(User.id.in_(user_ids), User.active.is_(True), _librarian(User.id)).cte("status_people"))
    upward = (select(Unit.id.label("unit_id"), Unit.id.label("ancestor_id"))
              .where(Unit.id.in_(select(people.c.unit_id))).cte("status_units_up", recursive=True))
    upward = upward.union_all(select(upward.c.unit_id, Unit.parent_id)
                              .join(Unit, Unit.id == upward.c.ancestor_id).where(Unit.parent_id.is_not(None)))
    direct = (select(Assignment.id.label("assignment_id"), people.c.user_id.label("user_id"),
                     literal("user").label("via"))
              .join(people, people.c.user_id == Assignment.user_id))
    by_unit = (select(Assignment.id, people.c.user_id, literal("unit"))
               .join(upward, upward.c.ancestor_id == Assignment.unit_id)
               .join(people, people.c.unit_id == upward.c.unit_id))
    by_position = (select(Assignment.id, people.c.user_id, literal("position"))
                   .join(people, people.c.position == Assignment.position))
    return union_all(direct, by_unit, by_position)


def status_select(user_ids: Select, today: date, *, per_subject: bool = True) -> Select:
    """Each assignment of the active librarians among ``user_ids`` with its status, in SQL:
    ``assignment_id, user_id, via, course_id, module_id, due_on, status`` where status is
    :data:`DONE` (the module or course completion exists), :data:`OVERDUE` (due before
    ``today``), :data:`DUE_SOON` (due within :func:`due_soon_days`) or :data:`OPEN`.

    ``per_subject`` keeps one row per person and course or module - the earliest due date
    wins, as a person has one obligation per subject however many assignments name it; the
    counts everyone sees come from it. Without it every (assignment, person) pair is kept
    (an assignment's own reach, for its row on the assignment page).
    """
    reach = reach_of(user_ids).subquery("status_reach")
    columns = (reach.c.assignment_id, reach.c.user_id, reach.c.via, Assignment.course_id, Assignment.module_id,
               Assignment.due_on)
    base = select(*columns).join(Assignment, Assignment.id == reach.c.assignment_id)
    if per_subject:
        rank = func.row_number().over(
            partition_by=(reach.c.user_id, Assignment.course_id, Assignment.module_id),
            order_by=(case((Assignment.due_on.is_(None), 1), else_=0), Assignment.due_on, Assignment.id))
        base = base.add_columns(rank.label("rank"))
    rows = base.subquery("status_rows")
    done = or_(ModuleCompletion.id.is_not(None), CourseCompletion.id.is_not(None))
    soon = today + timedelta(days=due_soon_days())
    status = case((done, DONE), (rows.c.due_on < today, OVERDUE), (rows.c.due_on <= soon, DUE_SOON), else_=OPEN)
    query = (select(rows.c.assignment_id, rows.c.user_id, rows.c.via, rows.c.course_id, rows.c.module_id,
                    rows.c.due_on, status.label("status"))
             .outerjoin(ModuleCompletion, and_(ModuleCompletion.user_id == rows.c.user_id,
                                               ModuleCompletion.module_id == rows.c.module_id))
             .outerjoin(CourseCompletion, and_(CourseCompletion.user_id == rows.c.user_id,
                                               CourseCompletion.course_id == rows.c.course_id)))
    if per_subject:
        query = query.where(rows.c.rank == 1)
    return query


@dataclass(frozen=True)
class Status:
    """One person's assignment of one course or module, as :func:`status_select` computed it."""

    assignment_id: int
    user_id: int
    via: str  # "user", "unit" or "position": why it applies
    course_id: int | None
    module_id: int | None
    due_on: date | None
    status: str

    @property
    def done(self) -> bool:
        return self.status == DONE

    @property
    def overdue(self) -> bool:
        return self.status == OVERDUE


def statuses(user_ids: Select, today: date) -> list[Status]:
    """Every person's assignments (one per subject), what needs them first: overdue (the
    oldest due first), due soon, open (by due date, undated last), then done. One statement."""
    rows = status_select(user_ids, today).subquery()
    order = case(*((rows.c.status == name, rank) for rank, name in enumerate(STATUS_ORDER)))
    query = select(rows).order_by(rows.c.user_id, order, case((rows.c.due_on.is_(None), 1), else_=0),
                                  rows.c.due_on, rows.c.assignment_id)
    return [Status(*row) for row in db.session.execute(query)]


def statuses_of(user_id: int, today: date) -> list[Status]:
    """One person's assignments with their status (see :func:`statuses`)."""
    return statuses(select(literal(user_id)), today)


def status_counts(user_ids: Select, today: date) -> dict[str, int]:
    """How many assignments (one per person and subject) are in each status, over everyone in
    ``user_ids``: one GROUP BY. Keys are every status, zero included."""
    rows = status_select(user_ids, today).subquery()
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for status, count in db.session.execute(select(rows.c.status, func.count()).group_by(rows.c.status)):
        counts[status] = int(count)
    return counts


def librarians_in_view(viewer: User) -> Select:
    """Ids of the people whose assignments ``viewer`` oversees: everyone for an admin, the
    members of their units (and the units below) for a supervisor. ``status_select`` keeps
    the active librarians among them."""
    if viewer.has_role("admin"):
        return select(User.id)
    return select(User.id).where(User.unit_id.in_(supervised_unit_ids(viewer)))


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
    overdue_people: int = 0
    manageable: bool = True  # the viewer may delete it (it is theirs or targets their units)


def subject_title(assignment: Assignment, locale: str) -> str:
    """The module's (current version's) or course's title in ``locale``."""
    return subject_titles_for([assignment], locale)[(assignment.course_id, assignment.module_id)]


def subject_titles(assignment: Assignment) -> dict[str, str]:
    return {"title_id": subject_title(assignment, "id"), "title_en": subject_title(assignment, "en")}


def subject_titles_for(subjects, locale: str) -> dict[tuple[int | None, int | None], str]:
    """``{(course_id, module_id): title}`` for objects with ``course_id``/``module_id`` (an
    assignment, a :class:`Status`), two statements however many there are."""
    from sqlalchemy.orm import selectinload

    from lms.i18n import localized

    module_ids = {s.module_id for s in subjects if s.module_id is not None}
    course_ids = {s.course_id for s in subjects if s.course_id is not None}
    modules = {m.id: m for m in db.session.scalars(select(Module).where(Module.id.in_(module_ids))
                                                   .options(selectinload(Module.current_version)))} if module_ids else {}
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))} \
        if course_ids else {}
    titles = {}
    for subject in subjects:
        if subject.module_id is not None:
            module = modules[subject.module_id]
            version = module.current_version
            title = localized(version, "title", locale) if version else module.slug
        else:
            title = localized(courses[subject.course_id], "title", locale)
        titles[(subject.course_id, subject.module_id)] = title
    return titles


def rows_for(viewer: User, locale: str, today: date) -> list[Row]:
    """The assignment list, newest first: the assignments ``viewer`` manages and those made
    elsewhere (a library-wide one, a position) that reach the people in their view. Done,
    targeted and overdue count those people only, from :func:`status_select` (each
    assignment's own reach), so a supervisor sees their staff and nobody else."""
    manageable = visible_assignments(viewer)
    pairs = status_select(librarians_in_view(viewer), today, per_subject=False).subquery()
    counts = {aid: (int(done or 0), int(total), int(late or 0)) for aid, done, total, late in db.session.execute(
        select(pairs.c.assignment_id, func.sum(case((pairs.c.status == DONE, 1), else_=0)), func.count(),
               func.sum(case((pairs.c.status == OVERDUE, 1), else_=0))).group_by(pairs.c.assignment_id))}
    own = set(db.session.scalars(manageable))
    assignments = db.session.scalars(select(Assignment).where(Assignment.id.in_(own | set(counts)))
                                     .order_by(Assignment.created_at.desc(), Assignment.id.desc())).all()
    users = dict(db.session.execute(select(User.id, User.full_name).where(
        User.id.in_([a.user_id for a in assignments if a.user_id]))).all()) if assignments else {}
    units = dict(db.session.execute(select(Unit.id, Unit.name).where(
        Unit.id.in_([a.unit_id for a in assignments if a.unit_id]))).all()) if assignments else {}
    titles = subject_titles_for(assignments, locale)
    rows = []
    for item in assignments:
        if item.user_id is not None:
            kind, target = "user", users.get(item.user_id, "")
        elif item.unit_id is not None:
            kind, target = "unit", units.get(item.unit_id, "")
        else:
            kind, target = "position", item.position or ""
        done, targeted, late = counts.get(item.id, (0, 0, 0))
        rows.append(Row(assignment=item, title=titles[(item.course_id, item.module_id)], target=target,
                        target_kind=kind, due_on=item.due_on, done=done, targeted=targeted, overdue=late > 0,
                        overdue_people=late, manageable=item.id in own))
    return rows
