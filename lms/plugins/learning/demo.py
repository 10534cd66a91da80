"""Demo learning activity: a year of lesson reading, quiz attempts, completions and
certificates for the demo librarians, so dashboards, item analysis and the quiz evidence of
the needs analysis have something to show at first run.

Answers are drawn from a fixed seed; how often a person answers a question right follows
their ability in the question's competency (as they rated it in the demo needs round, else
a middling 3). Each question type writes the response itself (``example_response``: right,
partly right or wrong) and the real grader grades it, so scores, credits and pass/fail are
what Pembina would have computed. An attempt with an essay waits for its trainer: the
learner stops there (the grading plugin's demo grades some of them as budi).
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from lms.auth.models import User
from lms.clock import local_zone, utcnow
from lms.core.demo import HOME_LIBRARY, SECOND_LIBRARY, library_members
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.learning.models import CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.learning.services import issue_certificate
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt
from lms.plugins.quizzes.services import attempt_questions, grade_attempt, rebuild_scores, registry, settings

SEED = 45
# How far each course got: (course slug, share of librarians who started it, modules they take
# at most; None = all of them).
PLAN: list[tuple[str, float, int | None]] = [
    ("katalogisasi", 0.8, None),
    ("layanan-pelanggan", 0.55, 5),
    ("keterampilan-digital", 0.3, 2),
]
MAX_ATTEMPTS = 3
# The second demo library (Sampit) started later and mostly on customer service.
SECOND_PLAN: list[tuple[str, float, int | None]] = [
    ("layanan-pelanggan", 0.7, 4),
    ("katalogisasi", 0.4, 3),
]


def _abilities() -> dict[int, dict[str, int]]:
    """Each person's self-rated ability per competency in the demo needs round, if any."""
    from lms.plugins.needs.models import SELF, StaffAnswer, StaffResponse

    found: dict[int, dict[str, int]] = {}
    rows = db.session.execute(select(StaffResponse.subject_id, StaffAnswer.competency_id, StaffAnswer.ability)
                              .join(StaffAnswer, StaffAnswer.response_id == StaffResponse.id)
                              .where(StaffResponse.kind == SELF))
    for user_id, competency_id, ability in rows:
        found.setdefault(user_id, {})[competency_id] = ability
    return found


def _take_module(rng: random.Random, user: User, module: Module, start: datetime,
                 ability: dict[str, int]) -> tuple[datetime, bool] | None:
    """Read every lesson and try the quiz until passed or out of attempts: (the time the
    learner is done, whether the module is complete), or None when they gave up. An essay
    awaiting its trainer leaves the module incomplete (its grade completes it) and the learner
    goes on to the next one."""
    version = module.current_version
    moment = start
    for lesson in version.lessons:
        seconds = max(60, int(lesson.words / 3.5 * rng.uniform(0.6, 1.4)))
        db.session.add(LessonView(user_id=user.id, module_id=module.id, lesson_slug=lesson.slug,
                                  first_seen=moment, last_seen=moment + timedelta(seconds=seconds),
                                  views=rng.choice((1, 1, 2)), seconds=seconds))
        moment += timedelta(seconds=seconds + rng.randrange(30, 600))
    if not version.questions:
        return moment, True
    types = registry()
    allowed = settings(version)["attempts"] or MAX_ATTEMPTS
    for number in range(1, min(allowed, MAX_ATTEMPTS) + 1):
        layout_rng = random.Random(rng.random())
        questions = list(version.questions)
        attempt = QuizAttempt(user_id=user.id, module_id=module.id, module_version_id=version.id, number=number,
                              status=SUBMITTED, started_at=moment,
                              layout={"questions": [q.id for q in questions],
                                      "items": {str(q.id): types[q.type].layout(q.data, layout_rng, False)
                                                for q in questions}})
        db.session.add(attempt)
        db.session.flush()
        asked = attempt_questions(attempt)
        responses = {}
        for question in asked:
            level = ability.get(question.competency_id or "", 3)
            chance = min(0.97, 0.3 + 0.13 * level + 0.08 * (number - 1))
            quality = 1.0 if rng.random() < chance else rng.choice((0.0, 0.5))
            responses[question.id] = types[question.type].example_response(question.data, rng, quality)
        grade_attempt(attempt, responses=responses, questions=asked)  # writes the answers in bulk
        db.session.execute(update(QuizAnswer).where(QuizAnswer.attempt_id == attempt.id).values(saved_at=moment))
        moment += timedelta(minutes=rng.randrange(8, 25))
        attempt.submitted_at = moment
        if attempt.passed:
            return moment, True
        if attempt.percent is None:  # an essay awaits its trainer: no next attempt before the grade
            return moment, False
        moment += timedelta(days=rng.randrange(1, 6))
    return None


def seed(log) -> None:
    """Add the demo activity once (idempotent: skipped when any attempt exists)."""
    if db.session.scalar(select(QuizAttempt.id).limit(1)) is not None:
        log(_("Demo learning activity: already present."))
        return
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_([p[0] for p in PLAN])))}
    staff = _librarians(HOME_LIBRARY)
    if not courses or not staff:
        log(_("Demo learning activity skipped: import the courses and seed the organisation first."))
        return
    abilities = _abilities()
    now = utcnow()
    counts = {"modules": 0, "courses": 0, "attempts": 0}
    # Each library its own draws: the second one's people never shift the first one's story.
    for people, rng, plan in ((staff, random.Random(SEED), PLAN),
                              (_librarians(SECOND_LIBRARY), random.Random(SEED + 1), SECOND_PLAN)):
        _seed_library(people, rng, plan, courses, abilities, now, counts)
    rebuild_scores()  # the attempts above were written directly, not through start/submit
    db.session.commit()
    counts["attempts"] = db.session.scalar(select(func.count()).select_from(QuizAttempt))
    log(_("Demo learning activity: %(attempts)d quiz attempts, %(modules)d modules and %(courses)d "
          "courses completed.", attempts=counts["attempts"], modules=counts["modules"],
          courses=counts["courses"]))


def _librarians(library_code: str) -> list[User]:
    """The active librarians of one demo library, in username order (the draws follow it)."""
    return [user for user in db.session.scalars(select(User).where(User.active.is_(True),
                                                                   User.id.in_(library_members(library_code)))
                                                .order_by(User.username))
            if user.has_role("librarian")]


def _seed_library(staff: list[User], rng: random.Random, plan, courses: dict, abilities: dict, now: datetime,
                  counts: dict) -> None:
    for user in staff:
        for slug, share, depth in plan:
            course = courses.get(slug)
            if course is None or user.username == "ani" or rng.random() > share:
                continue  # ani starts fresh: her learning path is the walkthrough
            modules = [m for m in course.modules if m.active and m.current_version is not None][:depth]
            moment = (now - timedelta(days=rng.randrange(40, 330))).astimezone(local_zone())
            moment = moment.replace(hour=rng.randrange(8, 15), minute=rng.randrange(0, 60))
            finished = []
            for module in modules[:rng.randrange(1, len(modules) + 1)]:
                taken = _take_module(rng, user, module, moment, abilities.get(user.id, {}))
                if taken is None:
                    break
                done, complete = taken
                if complete:
                    db.session.add(ModuleCompletion(user_id=user.id, module_id=module.id, completed_at=done))
                    finished.append(module)
                moment = done + timedelta(days=rng.randrange(3, 20))
                if moment > now - timedelta(days=2):
                    break
            counts["modules"] += len(finished)
            all_modules = [m for m in course.modules if m.active and m.current_version is not None]
            if finished and len(finished) == len(all_modules):
                completion = CourseCompletion(user_id=user.id, course_id=course.id, completed_at=done,
                                              jp=course.jp)
                db.session.add(completion)
                db.session.flush()
                counts["courses"] += 1
                db.session.commit()
                issue_certificate(completion)
