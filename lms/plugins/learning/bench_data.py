"""Progress records for the synthetic benchmark data (``lms demo --scale N``).

Runs after the quiz attempts (``trylast``) and derives everything from them, so progress
agrees with the quizzes the way the app's own rules would have it:

- **lesson views**: every lesson of a module a librarian took the quiz of, read in one
  sitting shortly before the first attempt (reading time ~ words / 3.5 per second), some
  opened again later; plus browsing - the first lessons of modules never attempted;
- **module completions**: every lesson seen and a passing attempt (completed when the
  first passing attempt was submitted); a module without a quiz once all lessons are read;
- **course completions** and their **certificates** once every active module is complete;
- **assignments**: one course per unit, due within a few months either side of today,
  and one course for the whole organisation.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from lms.clock import local_zone
from lms.core.bulk import bulk_writer
from lms.core.bench_data import DAYS, Clock, people, scale_root, timed, unit_heads
from lms.extensions import db
from lms.plugins.courses.models import Course
from lms.plugins.learning.models import Assignment, Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.learning.services import CODE_ALPHABET, CODE_LENGTH
from lms.plugins.quizzes import services as quizzes

SEED = 97
BROWSE = 0.12  # chance a librarian opens a module they never take the quiz of
READING_SPEED = 3.5  # words per second


@dataclass
class CourseInfo:
    id: int
    title_id: str
    title_en: str
    jp: float
    module_ids: list[int]


def _catalogue() -> tuple[dict[int, list[tuple[str, int]]], dict[int, bool], list[CourseInfo]]:
    """Lessons (slug, words) and "has a quiz" per active module, and the published courses."""
    lessons: dict[int, list[tuple[str, int]]] = {}
    has_quiz: dict[int, bool] = {}
    courses = []
    for course in db.session.scalars(select(Course).where(Course.published.is_(True)).order_by(Course.id)):
        required = []
        for module in course.modules:
            if not module.active or module.current_version is None:
                continue
            required.append(module.id)
            lessons[module.id] = [(lesson.slug, lesson.words) for lesson in module.current_version.lessons]
            has_quiz[module.id] = bool(module.current_version.questions)
        if required:
            courses.append(CourseInfo(course.id, course.title_id, course.title_en or course.title_id, course.jp,
                                      required))
    return lessons, has_quiz, courses


def seed(scale: int, log) -> None:
    """Write lesson views, completions, certificates and assignments (one transaction)."""
    staff = {person.id: person for person in people()}
    if not staff:
        return
    lessons, has_quiz, courses = _catalogue()
    progress: dict[int, dict[int, tuple]] = {}
    for user_id, module_id, started, passed_at, last_at in db.session.execute(quizzes.progress_select()):
        if user_id in staff and module_id in lessons:
            progress.setdefault(user_id, {})[module_id] = (_seconds(started), _seconds(passed_at), _seconds(last_at))
    clock = Clock()
    zone = local_zone()
    heads = unit_heads()
    root_id = scale_root().id  # read now: no session queries inside the bulk block
    tables = [LessonView.__table__, ModuleCompletion.__table__, CourseCompletion.__table__,
              Certificate.__table__, Assignment.__table__]
    with timed(log, "lesson views and completions") as step, bulk_writer(*tables) as writer:
        views = writer.buffer(LessonView.__table__, ("user_id", "module_id", "lesson_slug", "first_seen",
                                                     "last_seen", "views", "seconds"))
        modules_done = writer.buffer(ModuleCompletion.__table__, ("user_id", "module_id", "completed_at"))
        courses_done = writer.buffer(CourseCompletion.__table__, ("id", "user_id", "course_id", "completed_at", "jp"))
        certificates = writer.buffer(Certificate.__table__, (
            "code", "completion_id", "user_id", "course_id", "full_name", "course_title_id", "course_title_en",
            "completed_on", "jp", "issued_at"), after=courses_done)
        completion_id = writer.next_id(CourseCompletion.__table__)
        codes: set[str] = set()
        for user_id, person in staff.items():
            rng = random.Random(SEED * 1_000_003 + user_id)
            taken = progress.get(user_id, {})
            read: list[tuple] = []
            completed: dict[int, float] = {}
            for module_id, slugs in lessons.items():
                if module_id in taken:
                    started, passed_at, last_at = taken[module_id]
                    end = _read(rng, read, writer, user_id, module_id, slugs, started, last_at)
                    if passed_at is not None:
                        completed[module_id] = passed_at
                    elif not has_quiz[module_id]:
                        completed[module_id] = end
                elif rng.random() < BROWSE and slugs:
                    when = clock.moment(rng.uniform(0, DAYS - 1))
                    count = len(slugs) if not has_quiz[module_id] else rng.randrange(1, len(slugs) + 1)
                    end = _read(rng, read, writer, user_id, module_id, slugs[:count], when + 7200, when + 7200)
                    if not has_quiz[module_id] and count == len(slugs):
                        completed[module_id] = end
            views.extend(read)
            modules_done.extend([(user_id, module_id, writer.stamp(moment)) for module_id, moment in completed.items()])
            for course in courses:
                if all(module_id in completed for module_id in course.module_ids):
                    moment = max(completed[module_id] for module_id in course.module_ids)
                    courses_done.add((completion_id, user_id, course.id, writer.stamp(moment), course.jp))
                    code = _code(rng, codes)
                    certificates.add((code, completion_id, user_id, course.id, person.full_name, course.title_id,
                                      course.title_en, writer.day(datetime.fromtimestamp(moment, zone).date()),
                                      course.jp, writer.stamp(moment + 1)))
                    completion_id += 1
        assigned = _assignments(writer, courses, heads, root_id, clock)
        writer.flush()
        step.count("lesson views", views.written)
        step.count("module completions", modules_done.written)
        step.count("course completions", courses_done.written)
        step.count("certificates", certificates.written)
        step.count("assignments", assigned)


def _seconds(moment) -> float | None:
    """A datetime read back from the database (naive UTC on SQLite) as epoch seconds."""
    if moment is None:
        return None
    if isinstance(moment, str):  # an aggregate over a SQLite datetime column comes back as text
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _read(rng: random.Random, rows: list[tuple], writer, user_id: int, module_id: int, slugs: list[tuple[str, int]],
          before: float, last_at: float) -> float:
    """Lesson views of one sitting that ends an hour to three days ``before``; some lessons
    are opened again up to ``last_at``. Returns when the last lesson was left."""
    reading = [max(60, int(words / READING_SPEED * rng.uniform(0.6, 1.4))) for _slug, words in slugs]
    pauses = [rng.randrange(20, 300) for _ in slugs]
    moment = before - rng.uniform(3600, 3 * 86_400) - sum(reading) - sum(pauses)
    for (slug, _words), seconds, pause in zip(slugs, reading, pauses):
        again = rng.choice((1, 1, 1, 1, 2, 2, 3))
        last = moment if again == 1 else rng.uniform(moment, max(moment, last_at))
        rows.append((user_id, module_id, slug, writer.stamp(moment), writer.stamp(last), again, seconds))
        moment += seconds + pause
    return moment


def _code(rng: random.Random, taken: set[str]) -> str:
    while True:
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def _assignments(writer, courses: list[CourseInfo], heads: dict[int, int], root_id: int, clock: Clock) -> int:
    """One course per unit with a head (due 60 days ago to 90 days ahead), and one course for
    everyone (due in a month)."""
    if not courses:
        return 0
    rng = random.Random(SEED)
    today = datetime.fromtimestamp(clock.now, local_zone()).date()
    rows = [(root_id, courses[-1].id, writer.day(today + timedelta(days=30)), heads.get(root_id),
             writer.stamp(clock.days_ago(60)))]
    for index, (unit_id, head_id) in enumerate(sorted(heads.items())):
        if unit_id == root_id:
            continue
        course = courses[index % len(courses)]
        rows.append((unit_id, course.id, writer.day(today + timedelta(days=rng.randrange(-60, 90))), head_id,
                     writer.stamp(clock.days_ago(rng.uniform(100, 200)))))
    return writer.insert(Assignment.__table__, ("unit_id", "course_id", "due_on", "assigned_by_id", "created_at"),
                         rows)

