"""Progress, completion and certificates (what is recorded; ``overview.py`` reads it back).

The only place in this plugin that commits. Hooks call :func:`lesson_viewed` and
:func:`quiz_submitted`; both end in :func:`update_progress`, which records what became
complete (a lesson view only when it is the first view of that lesson: see
:func:`lesson_viewed`). Those two run inside the transaction of the fact they follow (the
lesson view the courses plugin records, the attempt the quizzes plugin grades) and never
commit: the fact and everything derived from it - the view, the completions, the
certificate, the learning events other plugins write from ``lms_module_completed`` and
``lms_course_completed`` - are committed together by the service that owns the fact, so a
worker killed in between leaves all of it or none (docs/architecture.md, "Derived data"). Every "record it once" step is an ``INSERT ... ON CONFLICT DO NOTHING`` against
a unique constraint, so two requests racing (two tabs, a double submit) still produce one
module completion, one course completion and one certificate.

Time on page is an estimate: when a learner opens a lesson, the time since their previous
lesson view (of any lesson), capped at :data:`MAX_GAP`, is added to that previous lesson.
A learner who reads for an hour without clicking gets ten minutes; the last lesson of a
sitting gets nothing for its final reading. Good enough to compare lessons, not to bill.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import Insert, Select, Update, bindparam, exists, func, select, union_all, update

from lms import organisations
from lms.pluginmanager import hook
from lms.audit import services as audit
from lms.auth.models import Unit, User
from lms.clock import aware, local_date, utcnow
from lms.extensions import db
from lms.plugins.courses.models import Course, Lesson, Module, ModuleVersion, Question
from lms.plugins.learning.models import Assignment, Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.quizzes import services as quizzes
from lms.sql import dialect_insert

MAX_GAP = timedelta(minutes=10)  # longest gap between two lesson views counted as reading time
# No 0/O, 1/I/L: codes are read aloud and typed from paper.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 31**10 ~ 8e14 codes: guessing a valid one is hopeless


# --- lesson views ----------------------------------------------------------------------------

def record_lesson_view(user_id: int, module_id: int, lesson_slug: str, now: datetime | None = None) -> bool:
    """Count a view of a lesson and credit the reading time of the learner's previous view.

    Returns True for the learner's first view of this lesson (the row was inserted), which
    is the only kind of view that can complete anything. Three statements, in the caller's
    transaction (the caller commits): the previous view (two columns, by
    ``ix_lesson_views_user_last_seen``), its reading time, and one upsert that says which of insert or update it did (``views`` starts at 1
    and only grows, so a returned 1 is an insert). Every view is written, ``last_seen``
    exactly: the dashboard's last activity and *My learning*'s resume point read it.
    """
    now = now or utcnow()
    statements = _view_statements(db.session.get_bind().dialect.name)
    previous = db.session.execute(statements.previous, {"p_user": user_id}).first()
    if previous is not None:
        gap = now - aware(previous.last_seen)
        if gap > timedelta(0):
            db.session.execute(statements.credit, {"p_id": previous.id,
                                                   "p_seconds": int(min(gap, MAX_GAP).total_seconds())})
    views = db.session.execute(statements.upsert, {"p_user": user_id, "p_module": module_id, "p_slug": lesson_slug,
                                                   "p_now": now}).scalar_one()
    return views == 1


class _ViewStatements(NamedTuple):
    previous: Select
    credit: Update
    upsert: Insert


@cache
def _view_statements(dialect: str) -> _ViewStatements:
    """:func:`record_lesson_view`'s three statements, built once per dialect with bound
    parameters, on the table rather than the ORM class: on a lesson page, building them
    and the ORM's handling of them cost more CPU than running them."""
    views = LessonView.__table__
    previous = (select(views.c.id, views.c.last_seen).where(views.c.user_id == bindparam("p_user"))
                .order_by(views.c.last_seen.desc(), views.c.id.desc()).limit(1))
    credit = (update(views).where(views.c.id == bindparam("p_id"))
              .values(seconds=views.c.seconds + bindparam("p_seconds")))
    now = bindparam("p_now", type_=views.c.last_seen.type)
    upsert = dialect_insert(views, dialect).values(user_id=bindparam("p_user"), module_id=bindparam("p_module"),
                                                   lesson_slug=bindparam("p_slug"), first_seen=now, last_seen=now,
                                                   views=1, seconds=0)
    upsert = upsert.on_conflict_do_update(
        index_elements=["user_id", "module_id", "lesson_slug"],
        set_={"last_seen": upsert.excluded.last_seen, "views": views.c.views + 1}).returning(views.c.views)
    return _ViewStatements(previous, credit, upsert)


def lesson_viewed(user_id: int, module_id: int, lesson_slug: str) -> None:
    """Record the view, then any completion it brings (a module with no quiz ends here).

    Completion is only checked on the first view of a lesson: a view of a lesson seen before
    changes none of what completion depends on (the set of lessons seen, the quiz grade,
    the content), so checking again could only repeat the answer of the last check - and
    the check was 7 of a lesson page's 22 statements. What else changes those inputs
    checks by itself: a graded quiz (:func:`quiz_submitted`). Content changes do not: when
    a new version *removes* the one lesson a learner had not read, or a course loses the
    module a learner had not finished, that learner completes on their next graded quiz or
    first view of a lesson (before issue 7 any view did), or at once with
    ``lms learning recompute``.
    """
    if record_lesson_view(user_id, module_id, lesson_slug):
        module = db.session.get(Module, module_id)
        if module is not None:
            update_progress(user_id, module)


def quiz_submitted(user_id: int, module_id: int) -> None:
    """A graded attempt may complete the module, and with it the course."""
    module = db.session.get(Module, module_id)
    if module is not None:
        update_progress(user_id, module)


# --- completion ----------------------------------------------------------------------------

def has_questions(version: ModuleVersion) -> bool:
    return bool(db.session.scalar(select(func.count(Question.id)).where(Question.module_version_id == version.id)))


def module_requirements_met(user_id: int, module: Module) -> bool:
    """Every lesson of the current version seen and, if it has a quiz, a passing module grade.

    Modules with questions need a pass even when the quizzes plugin is off: no certificate
    is issued without the assessment the trainer wrote.
    """
    # The id is enough: no need to load the version. (It is the relationship's once flushed;
    # nothing checks completion inside an unflushed import.)
    version_id = module.current_version_id
    if version_id is None or not module.active:
        return False
    unseen = select(Lesson.id).where(Lesson.module_version_id == version_id, Lesson.slug.not_in(
        select(LessonView.lesson_slug).where(LessonView.user_id == user_id, LessonView.module_id == module.id)))
    quiz = select(Question.id).where(Question.module_version_id == version_id)
    # one statement for both, and no lesson HTML loaded
    any_unseen, has_quiz = db.session.execute(select(exists(unseen), exists(quiz))).one()
    if any_unseen:
        return False
    if has_quiz:
        return quizzes.module_grade(user_id, module)[1]
    return True


def is_module_complete(user_id: int, module_id: int) -> bool:
    return db.session.scalar(select(func.count(ModuleCompletion.id)).where(
        ModuleCompletion.user_id == user_id, ModuleCompletion.module_id == module_id)) > 0


def complete_module(user_id: int, module: Module) -> bool:
    """Record the module's completion if its requirements are met; True when it is complete.

    A completion, once recorded, stays: a later version with more lessons does not undo it.
    """
    if is_module_complete(user_id, module.id):
        return True
    if not module_requirements_met(user_id, module):
        return False
    inserted = db.session.execute(dialect_insert(ModuleCompletion)
                                  .values(user_id=user_id, module_id=module.id, completed_at=utcnow())
                                  .on_conflict_do_nothing(index_elements=["user_id", "module_id"])).rowcount
    if inserted:
        hook().lms_module_completed(user_id=user_id, module=module)
    return True


def course_modules(course: Course) -> list[Module]:
    """The modules a learner must finish: active ones with published content."""
    return list(db.session.scalars(select(Module).where(Module.course_id == course.id, Module.active.is_(True),
                                                        Module.current_version_id.is_not(None))
                                   .order_by(Module.position)))


def completion_of(user_id: int, course_id: int) -> CourseCompletion | None:
    return db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == user_id,
                                                            CourseCompletion.course_id == course_id))


def complete_course(user_id: int, course: Course) -> CourseCompletion | None:
    """Record the course's completion (and issue its certificate) once every module is done.

    Safe to call again and again, and from two requests at once: the unique constraints on
    ``(user_id, course_id)`` and on the certificate's completion make the second call a no-op.
    """
    completion = completion_of(user_id, course.id)
    if completion is None:
        modules = course_modules(course)
        if not modules or not all(complete_module(user_id, module) for module in modules):
            return None
        inserted = db.session.execute(dialect_insert(CourseCompletion)
                                      .values(user_id=user_id, course_id=course.id, completed_at=utcnow(), jp=course.jp)
                                      .on_conflict_do_nothing(index_elements=["user_id", "course_id"])).rowcount
        completion = completion_of(user_id, course.id)
        if inserted:
            hook().lms_course_completed(user_id=user_id, course=course,
                                                                            completion=completion)
    issue_certificate(completion)
    return completion


def update_progress(user_id: int, module: Module) -> None:
    """Recompute after an event: the module, then (if it is complete) its course."""
    if complete_module(user_id, module):
        complete_course(user_id, module.course)


# --- certificates --------------------------------------------------------------------------

def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """What a person typed (lower case, spaces, dashes) to the stored form."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def issue_certificate(completion: CourseCompletion) -> Certificate:
    """The completion's certificate, issued now if it has none yet (exactly one, ever).

    Written in the caller's transaction, with the completion it certifies. The insert does
    nothing on any unique conflict - the completion has its certificate already (a racing
    request issued it), or the random code is taken - so no error ever has to roll the
    caller's transaction back; a taken code is drawn again.
    """
    found = db.session.scalar(select(Certificate).where(Certificate.completion_id == completion.id))
    if found is not None:
        return found
    user = db.session.get(User, completion.user_id)
    course = db.session.get(Course, completion.course_id)
    # the library and its signatory as they are today; the date is the day in its time zone
    library = organisations.for_person(user.id)
    values = {"completion_id": completion.id, "user_id": user.id, "course_id": course.id,
              "full_name": user.full_name, "course_title_id": course.title_id,
              "course_title_en": course.title_en or course.title_id,
              "completed_on": local_date(completion.completed_at, library), "jp": completion.jp,
              "issued_at": utcnow()}
    issuer = organisations.issuer_of(library) if library is not None else organisations.issuer_for(user.id)
    values.update(issuer_name=issuer.name, signatory_name=issuer.signatory_name,
                  signatory_position=issuer.signatory_position, signatory_nip=issuer.signatory_nip,
                  issuer_logo=issuer.logo)
    for _attempt in range(5):
        db.session.execute(dialect_insert(Certificate).values(code=new_code(), **values).on_conflict_do_nothing())
        found = db.session.scalar(select(Certificate).where(Certificate.completion_id == completion.id))
        if found is not None:
            return found
    raise RuntimeError("could not draw a free certificate code")  # pragma: no cover - 5 collisions in 8e14


def certificate_by_code(code: str) -> Certificate | None:
    code = normalise_code(code)
    if not code or len(code) > 16:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def own_certificate(user_id: int, code: str) -> Certificate | None:
    """The certificate, only for its owner (anyone else gets None, as for an unknown code)."""
    certificate = certificate_by_code(code)
    return certificate if certificate is not None and certificate.user_id == user_id else None


def revoked_at(certificate: Certificate):
    """When ``certificate`` was revoked (its holder's personal data erased), or None."""
    from lms.privacy.services import erased_at

    return erased_at(certificate.user_id)


def certificate_title(certificate: Certificate, locale: str) -> str:
    return certificate.course_title_en if locale == "en" else certificate.course_title_id


# --- assignments and maintenance ---

class AssignmentRefused(ValueError):
    """An assignment nobody may make: a private course to people who could not open it."""


def _refuse_invisible(course: Course, *, user_id=None, unit_id=None, position=None) -> None:
    """Raise :class:`AssignmentRefused` (before anything is written) when ``course`` is private
    to a library the target is not in: the assignee would be sent a course that answers 404."""
    from lms.plugins.courses.services import assignment_refusal

    reason = assignment_refusal(course, user_id=user_id, unit_id=unit_id, position=position)
    if reason:
        raise AssignmentRefused(reason)


def create_assignment(subject: str, *, username: str | None = None, unit_code: str | None = None,
                      position: str | None = None, due_on: date | None = None,
                      assigned_by_id: int | None = None) -> Assignment:
    """Assign a course (``slug``) or module (``slug/module``) to one user, unit or position,
    in the caller's transaction (``lms learning assign`` announces it, then commits both).

    Raises ``ValueError`` for a bad target and ``LookupError`` for unknown names.
    """
    if sum(bool(value and value.strip()) for value in (username, unit_code, position)) != 1:
        raise ValueError("give exactly one of a user, a unit or a position")
    course_slug, _sep, module_slug = subject.strip().partition("/")
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None:
        raise LookupError(f"no course {course_slug!r}")
    module = None
    if module_slug:
        module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.slug == module_slug))
        if module is None:
            raise LookupError(f"no module {module_slug!r} in {course_slug!r}")
    assignment = Assignment(course_id=None if module else course.id, module_id=module.id if module else None,
                            due_on=due_on, assigned_by_id=assigned_by_id)
    if username:
        user = db.session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None:
            raise LookupError(f"no user {username!r}")
        assignment.user_id = user.id
    elif unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
        if unit is None:
            raise LookupError(f"no unit {unit_code!r}")
        assignment.unit_id = unit.id
    else:
        assignment.position = position.strip()
    _refuse_invisible(course, user_id=assignment.user_id, unit_id=assignment.unit_id, position=assignment.position)
    db.session.add(assignment)
    db.session.flush()
    # the person by id, never by name: the log outlives an erasure (docs/privacy.md)
    audit.record("learning.assigned", "assignment", assignment.id, actor_id=assigned_by_id, subject=subject,
                 user_id=assignment.user_id, unit=unit_code, position=position,
                 due=due_on.isoformat() if due_on else None)
    return assignment


def assign(*, module_id: int | None = None, course_id: int | None = None, user_id: int | None = None,
           unit_id: int | None = None, position: str | None = None, due_on: date | None = None,
           assigned_by_id: int | None = None, commit: bool = False, **audit_details) -> Assignment:
    """Assign one module or course (by id) to one user, unit or position, with an audit record.

    For callers that already hold ids (the curriculum's approval, the assignment form).
    ``commit=False`` leaves the assignment and its audit entry in the caller's transaction.
    Raises ``ValueError`` unless exactly one subject and exactly one target are given, and
    :class:`AssignmentRefused` for a private course the target could not open.
    """
    if (module_id is None) == (course_id is None):
        raise ValueError("give exactly one of a module or a course")
    if sum(value is not None and value != "" for value in (user_id, unit_id, position)) != 1:
        raise ValueError("give exactly one of a user, a unit or a position")
    course = db.session.get(Course, course_id) if course_id is not None else db.session.get(Module, module_id).course
    _refuse_invisible(course, user_id=user_id, unit_id=unit_id, position=position)
    assignment = Assignment(module_id=module_id, course_id=course_id, user_id=user_id, unit_id=unit_id,
                            position=position.strip() if position else None, due_on=due_on,
                            assigned_by_id=assigned_by_id)
    db.session.add(assignment)
    db.session.flush()
    audit.record("learning.assigned", "assignment", assignment.id, actor_id=assigned_by_id, module_id=module_id,
                 course_id=course_id, user_id=user_id, unit_id=unit_id, position=assignment.position,
                 due=due_on.isoformat() if due_on else None, **audit_details)
    if commit:
        db.session.commit()
    return assignment


def user_ids_by_username(usernames: list[str]) -> list[int]:
    found = dict(db.session.execute(select(User.username, User.id).where(
        User.username.in_([name.strip().lower() for name in usernames]))).all())
    missing = sorted({name.strip().lower() for name in usernames} - set(found))
    if missing:
        raise LookupError(f"no user(s): {', '.join(missing)}")
    return list(found.values())


# --- maintenance ---------------------------------------------------------------------------

def recompute(user_ids: Iterable[int] | None = None) -> int:
    """Re-evaluate every module each learner has touched (after turning the plugin on over
    existing quiz attempts, or after fixing content). Returns how many modules were checked."""
    touched = union_all(select(LessonView.user_id, LessonView.module_id),
                        quizzes.attempted_select()).subquery()
    query = select(touched.c.user_id, touched.c.module_id).distinct()
    if user_ids is not None:
        query = query.where(touched.c.user_id.in_(list(user_ids)))
    pairs = db.session.execute(query.order_by(touched.c.user_id, touched.c.module_id)).all()
    for user_id, module_id in pairs:
        module = db.session.get(Module, module_id)
        if module is not None:
            update_progress(user_id, module)
            db.session.commit()
    return len(pairs)
