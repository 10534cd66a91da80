"""Recording learning events, backfilling them for older facts, and remembering what a
learning record store accepted (the only place in this plugin that writes).

Hooks call the ``record`` functions after the learning and quizzes plugins have recorded
their own facts, in the same transaction: they never commit, the service that owns the fact
does, so a fact and its event are kept or lost together. What is recorded:

- ``viewed`` a lesson: the **first view of that lesson by that learner on each local
  day** (library time zone). Re-reading a page ten times in a sitting is one statement;
  coming back tomorrow is another. A record store wants "who looked at what, when", not
  every reload.
- ``passed`` / ``failed`` an assessment (the module's quiz) for every graded attempt, with
  the score: ``scaled = percent / 100``, ``raw`` points, ``max`` points, ``success`` =
  passed, ``completion`` = true.
- ``completed`` a module / a course, once, when the learning plugin records the completion.

Each event names the fact it records in ``source`` (unique; see ``models.py``), so a fact
never has two events: two requests racing on a lesson view, or a hook and
:func:`backfill`, write one. Events are never updated or deleted.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import cache

from sqlalchemy import bindparam, select

from lms import http
from lms.clock import utcnow
from lms.extensions import db
from lms.pluginmanager import plugin_enabled
from lms.plugins.interop.models import LearningEvent, XapiDelivery
from lms.sql import dialect_insert

INSERT_CHUNK = 500  # rows per INSERT when backfilling or recording deliveries


def base_url() -> str:
    """The site's ``BASE_URL`` (``XAPI_BASE_URL`` is its deprecated name; lms/http.py), no
    trailing slash: the root of every activity IRI and the actors' account home page."""
    return http.base_url()


def course_iri(course) -> str:
    return f"{base_url()}/courses/{course.slug}"


def module_iri(module) -> str:
    return f"{course_iri(module.course)}/{module.slug}"


def lesson_iri(module, lesson_slug: str) -> str:
    return f"{module_iri(module)}/{lesson_slug}"


def assessment_iri(module) -> str:
    return f"{module_iri(module)}/quiz"


def evaluation_iri(competency_id: str) -> str:
    """The activity "post-training evaluation of competency X" (a self-report answers it)."""
    return f"{base_url()}/competencies/{competency_id}/evaluation"


def names(title_id: str, title_en: str | None = None) -> dict[str, str]:
    """An xAPI language map that says which language it holds: the Indonesian title under
    ``id-ID``, and ``en-US`` only when an English title exists (the importer copies the
    Indonesian title into ``title_en`` when the author gave none)."""
    mapped = {"id-ID": title_id}
    if title_en and title_en.strip() and title_en != title_id:
        mapped["en-US"] = title_en
    return mapped


# --- the fact behind an event: its ``source`` key --------------------------------------------

def lesson_view_source(user_id: int, module_id: int, lesson_slug: str, day: date) -> str:
    return f"lesson-view:{user_id}:{module_id}:{lesson_slug}:{day.isoformat()}"


def quiz_attempt_source(attempt_id: int) -> str:
    return f"quiz-attempt:{attempt_id}"


def module_completion_source(user_id: int, module_id: int) -> str:
    return f"module-completion:{user_id}:{module_id}"


def course_completion_source(user_id: int, course_id: int) -> str:
    return f"course-completion:{user_id}:{course_id}"


def _local_day(moment: datetime) -> date:
    from lms.clock import local_date

    return local_date(moment)


@cache
def _insert_event(dialect: str):
    """One event row; a second row for the same fact does nothing (``source`` is unique)."""
    events = LearningEvent.__table__
    return (dialect_insert(events, dialect).on_conflict_do_nothing(index_elements=["source"])
            .returning(events.c.id))


def _add(user_id: int, verb: str, object_type: str, object_id: int, iri: str, name: dict, source: str,
         result: dict | None = None, now: datetime | None = None) -> int | None:
    """Insert one event in the caller's transaction (it commits with the fact it records):
    its id, or None when the fact already has one."""
    dialect = db.session.get_bind().dialect.name
    return db.session.execute(_insert_event(dialect), {
        "occurred_at": now or utcnow(), "user_id": user_id, "verb": verb, "object_type": object_type,
        "object_id": object_id, "object_iri": iri, "object_name": name, "result": result,
        "source": source}).scalar_one_or_none()


def add_event(user_id: int, verb: str, object_type: str, object_id: int, iri: str, name: dict, source: str,
              result: dict | None = None, now: datetime | None = None) -> int | None:
    """Record an event for another plugin's fact (the evaluations plugin's self-reports), in
    the caller's transaction: its id, or None when the fact already has one."""
    return _add(user_id, verb, object_type, object_id, iri, name, source, result, now)


def lesson_viewed(user_id: int, module, lesson, now: datetime | None = None) -> int | None:
    """Record ``viewed`` for the first view of this lesson today: the new event's id, or
    None when already seen today.

    Written with plain statements rather than through the ORM like the other events: it
    runs on lesson pages, mostly once per lesson and day, where the ORM's unit of work cost
    more CPU than the insert itself. The check is one probe of the unique ``source`` index.
    """
    now = now or utcnow()
    source = lesson_view_source(user_id, module.id, lesson.slug, _local_day(now))
    if db.session.scalar(_viewed_today(), {"p_source": source}) is not None:
        return None
    return _add(user_id, "viewed", "lesson", lesson.id, lesson_iri(module, lesson.slug), names(lesson.title),
                source, now=now)


@cache
def _viewed_today():
    """:func:`lesson_viewed`'s check, built once with a bound parameter on the table (not
    the ORM class): it runs on every lesson page."""
    events = LearningEvent.__table__
    return select(events.c.id).where(events.c.source == bindparam("p_source")).limit(1)


def _attempt_result(attempt) -> dict:
    return {"score": {"scaled": round(attempt.percent / 100, 4), "raw": attempt.score, "max": attempt.max_score},
            "success": bool(attempt.passed), "completion": True}


def _module_names(module) -> dict[str, str]:
    version = module.current_version
    return names(version.title_id, version.title_en) if version else names(module.slug)


def quiz_graded(attempt) -> int | None:
    """Record ``passed``/``failed`` with the score of a graded attempt."""
    if attempt.percent is None:
        return None
    from lms.plugins.courses.models import Module

    module = db.session.get(Module, attempt.module_id)
    if module is None:
        return None
    return _add(attempt.user_id, "passed" if attempt.passed else "failed", "assessment", module.id,
                assessment_iri(module), _module_names(module), quiz_attempt_source(attempt.id),
                _attempt_result(attempt))


def module_completed(user_id: int, module) -> int | None:
    return _add(user_id, "completed", "module", module.id, module_iri(module), _module_names(module),
                module_completion_source(user_id, module.id), {"completion": True})


def course_completed(user_id: int, course, completion=None) -> int | None:
    return _add(user_id, "completed", "course", course.id, course_iri(course), names(course.title_id, course.title_en),
                course_completion_source(user_id, course.id), {"completion": True},
                now=completion.completed_at if completion is not None else None)


# --- backfill: events for facts that have none -----------------------------------------------

@dataclass
class BackfillReport:
    """What :func:`backfill` added per kind of fact, and facts it could not turn into an event."""

    added: dict[str, int] = field(default_factory=lambda: {"lesson-view": 0, "quiz-attempt": 0,
                                                             "module-completion": 0, "course-completion": 0,
                                                             "evaluation-self": 0})
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.added.values())


def _legacy_events():
    """Events written before ``source`` existed (NULL): what they cover is worked out from
    their user, object and time (see :func:`backfill`)."""
    return db.session.execute(select(LearningEvent.user_id, LearningEvent.verb, LearningEvent.object_type,
                                     LearningEvent.object_id, LearningEvent.occurred_at)
                              .where(LearningEvent.source.is_(None))).all()


def _known_sources(prefix: str) -> set[str]:
    return set(db.session.scalars(select(LearningEvent.source).where(LearningEvent.source.like(prefix + ":%"))))


def backfill() -> BackfillReport:
    """Insert the events missing for facts in their own tables - lesson views, graded quiz
    attempts, module and course completions recorded before the events table existed (or
    by the demo, which writes its year of history in bulk) - at the facts' own times, and
    commit. Idempotent: a fact that has an event (same ``source``) is left alone.

    Events written before migration 0019 carry no ``source``; a fact counts as covered by
    one when: a completion has a ``completed`` event for the same user and module/course
    (recorded once); a lesson view (``first_seen``) has a ``viewed`` event for the same
    user and lesson on the same local day; for quiz attempts, the *n* legacy events of a
    user on a module cover that user's *n* latest graded attempts on it (events only ever
    miss the oldest facts: those from before the events table).
    """
    from lms.plugins.courses.models import Course, Lesson, Module, ModuleVersion
    from lms.plugins.learning.models import CourseCompletion, LessonView, ModuleCompletion
    from lms.plugins.quizzes.models import SUBMITTED, QuizAttempt

    report = BackfillReport()
    rows: list[dict] = []
    legacy = _legacy_events()
    modules = {m.id: m for m in db.session.scalars(select(Module))}
    courses = {c.id: c for c in db.session.scalars(select(Course))}
    # lesson slug -> lesson id per module: the latest version holding that slug
    lesson_ids: dict[tuple[int, str], int] = {}
    lesson_keys: dict[int, tuple[int, str]] = {}
    for lesson_id, slug, module_id in db.session.execute(
            select(Lesson.id, Lesson.slug, ModuleVersion.module_id)
            .join(ModuleVersion, ModuleVersion.id == Lesson.module_version_id)
            .order_by(ModuleVersion.number, Lesson.id)):
        lesson_ids[(module_id, slug)] = lesson_id
        lesson_keys[lesson_id] = (module_id, slug)

    def row(user_id, verb, object_type, object_id, iri, name, source, when, result=None):
        rows.append({"occurred_at": when, "user_id": user_id, "verb": verb, "object_type": object_type,
                     "object_id": object_id, "object_iri": iri, "object_name": name, "result": result,
                     "source": source})

    # lesson views: the first view of each lesson
    known = _known_sources("lesson-view")
    legacy_views = {(user_id, *lesson_keys[object_id], _local_day(when))
                    for user_id, verb, kind, object_id, when in legacy
                    if verb == "viewed" and kind == "lesson" and object_id in lesson_keys}
    for view in db.session.scalars(select(LessonView).order_by(LessonView.id)):
        day = _local_day(view.first_seen)
        source = lesson_view_source(view.user_id, view.module_id, view.lesson_slug, day)
        if source in known or (view.user_id, view.module_id, view.lesson_slug, day) in legacy_views:
            continue
        module = modules.get(view.module_id)
        lesson_id = lesson_ids.get((view.module_id, view.lesson_slug))
        if module is None or lesson_id is None:
            report.skipped.append(f"{source}: the lesson no longer exists")
            continue
        lesson = db.session.get(Lesson, lesson_id)
        row(view.user_id, "viewed", "lesson", lesson_id, lesson_iri(module, view.lesson_slug), names(lesson.title),
            source, view.first_seen)
        report.added["lesson-view"] += 1

    # graded quiz attempts
    known = _known_sources("quiz-attempt")
    legacy_graded: dict[tuple[int, int], int] = defaultdict(int)
    for user_id, verb, kind, object_id, _when in legacy:
        if kind == "assessment" and verb in ("passed", "failed"):
            legacy_graded[(user_id, object_id)] += 1
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.status == SUBMITTED,
                                                            QuizAttempt.percent.is_not(None))
                                  .order_by(QuizAttempt.user_id, QuizAttempt.module_id,
                                            QuizAttempt.submitted_at.desc(), QuizAttempt.id.desc()))
    for attempt in attempts:
        key = (attempt.user_id, attempt.module_id)
        if legacy_graded.get(key, 0) > 0:  # the latest ones are covered by legacy events
            legacy_graded[key] -= 1
            continue
        source = quiz_attempt_source(attempt.id)
        if source in known:
            continue
        module = modules.get(attempt.module_id)
        row(attempt.user_id, "passed" if attempt.passed else "failed", "assessment", module.id,
            assessment_iri(module), _module_names(module), source, attempt.submitted_at or attempt.started_at,
            _attempt_result(attempt))
        report.added["quiz-attempt"] += 1

    # completions
    legacy_done = {(user_id, kind, object_id) for user_id, verb, kind, object_id, _when in legacy
                   if verb == "completed"}
    known = _known_sources("module-completion")
    for done in db.session.scalars(select(ModuleCompletion).order_by(ModuleCompletion.id)):
        source = module_completion_source(done.user_id, done.module_id)
        if source in known or (done.user_id, "module", done.module_id) in legacy_done:
            continue
        module = modules[done.module_id]
        row(done.user_id, "completed", "module", module.id, module_iri(module), _module_names(module), source,
            done.completed_at, {"completion": True})
        report.added["module-completion"] += 1
    known = _known_sources("course-completion")
    for done in db.session.scalars(select(CourseCompletion).order_by(CourseCompletion.id)):
        source = course_completion_source(done.user_id, done.course_id)
        if source in known or (done.user_id, "course", done.course_id) in legacy_done:
            continue
        course = courses[done.course_id]
        row(done.user_id, "completed", "course", course.id, course_iri(course), names(course.title_id, course.title_en),
            source, done.completed_at, {"completion": True})
        report.added["course-completion"] += 1

    # self-reports of the post-training evaluation (evaluations plugin, when on)

    if plugin_enabled("evaluations"):
        from lms.plugins.evaluations import xapi as evaluation_events

        known = _known_sources(evaluation_events.SOURCE_PREFIX)
        for item in evaluation_events.rows():
            if item["source"] not in known:
                row(item["user_id"], item["verb"], item["object_type"], item["object_id"], item["iri"],
                    item["name"], item["source"], item["now"], item["result"])
                report.added["evaluation-self"] += 1

    rows.sort(key=lambda item: _aware(item["occurred_at"]))  # ids follow time, like live events
    statement = dialect_insert(LearningEvent.__table__).on_conflict_do_nothing(index_elements=["source"])
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(statement, rows[start:start + INSERT_CHUNK])
    db.session.commit()
    return report


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


# --- deliveries to a learning record store ---------------------------------------------------

def delivered(lrs: str, statement_ids: Iterable[str]) -> set[str]:
    """Which of ``statement_ids`` the record store at ``lrs`` has already accepted."""
    ids = list(statement_ids)
    found: set[str] = set()
    for start in range(0, len(ids), INSERT_CHUNK):
        found.update(db.session.scalars(select(XapiDelivery.statement_id).where(
            XapiDelivery.lrs == lrs, XapiDelivery.statement_id.in_(ids[start:start + INSERT_CHUNK]))))
    return found


def record_delivered(lrs: str, statement_ids: Iterable[str]) -> None:
    """Remember that ``lrs`` accepted ``statement_ids``, and commit at once: a push stopped
    after this point resumes after these statements."""
    now = utcnow()
    rows = [{"lrs": lrs, "statement_id": sid, "accepted_at": now} for sid in statement_ids]
    statement = dialect_insert(XapiDelivery.__table__).on_conflict_do_nothing(index_elements=["lrs", "statement_id"])
    for start in range(0, len(rows), INSERT_CHUNK):
        db.session.execute(statement, rows[start:start + INSERT_CHUNK])
    db.session.commit()
