"""The dashboard's figures equal a slow reference worked out in Python from the raw rows.

The dashboard reads quiz figures from the quizzes plugin's per learner and module summary
and takes shortcuts over lesson views and completions (issue 7); on generated activity -
attempts in every status, ties in submission time, regrades, people outside the unit -
every figure must still be what the raw rows say.
"""
from __future__ import annotations

import random
from datetime import timedelta, timezone
from decimal import Decimal

from sqlalchemy import select

from lms.auth.models import UnitSupervisor
from lms.clock import local_today, utcnow
from lms.extensions import db
from lms.exports import percent_cell
from lms.plugins.learning.models import CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.quizzes import services as quiz_services
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAttempt
from lms.plugins.reports import dashboard
from tests.quizzes.conftest import module


def naive(moment):
    """UTC without a zone (SQLite returns naive UTC, PostgreSQL aware datetimes)."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def generate(org, make_user, seed: int):
    """Random activity for 14 people (10 in the supervisor's branch, 4 outside)."""
    rng = random.Random(seed)
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"], locale="en")
    db.session.add(UnitSupervisor(user_id=boss.id, unit_id=org["branch_a"].id))
    units = [org["branch_a"], org["section_a1"], org["branch_b"]]
    people = [make_user(f"p{i:02d}", unit=units[0 if i < 5 else 1 if i < 10 else 2], full_name=f"Person {i:02d}")
              for i in range(14)]
    modules = [module("marc"), module("ddc")]
    now = utcnow().replace(microsecond=0)
    for person in people:
        for target in modules:
            if rng.random() < 0.7:
                for slug in rng.sample(["a", "b", "c"], rng.randrange(1, 4)):
                    db.session.add(LessonView(user_id=person.id, module_id=target.id, lesson_slug=slug,
                                              seconds=rng.randrange(0, 900),
                                              last_seen=now - timedelta(hours=rng.randrange(1, 2000))))
            moment = now - timedelta(days=rng.randrange(5, 300))
            for number in range(1, rng.randrange(0, 7) + 1):
                status = IN_PROGRESS if rng.random() < 0.15 else SUBMITTED
                percent = None if status == IN_PROGRESS else round(rng.uniform(0, 100), rng.choice((0, 1, 2)))
                if rng.random() > 0.3:  # sometimes two attempts in the same second: the id decides
                    moment += timedelta(hours=rng.randrange(1, 48))
                db.session.add(QuizAttempt(
                    user_id=person.id, module_id=target.id, module_version_id=target.current_version_id,
                    number=number, status=status, layout={}, started_at=moment - timedelta(minutes=5),
                    submitted_at=moment if status == SUBMITTED else None, percent=percent,
                    passed=None if percent is None else percent >= 60))
            if rng.random() < 0.4:
                db.session.add(ModuleCompletion(user_id=person.id, module_id=target.id,
                                                completed_at=now - timedelta(days=rng.randrange(0, 400))))
        if rng.random() < 0.3:
            db.session.add(CourseCompletion(user_id=person.id, course_id=modules[0].course_id, jp=2.5,
                                            completed_at=now - timedelta(days=rng.randrange(0, 400))))
    db.session.commit()
    quiz_services.rebuild_scores()  # as after a bulk load; the write path is tested in tests/quizzes
    db.session.commit()
    return boss, people, modules


def in_view(people):
    return [p for p in people if p.username < "p10"]


def reference_people(people):
    """user id -> (latest, best, last activity) from the raw rows."""
    found = {}
    for person in in_view(people):
        attempts = list(db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == person.id)))
        scored = [a for a in attempts if a.status == SUBMITTED and a.percent is not None]
        last = max(scored, key=lambda a: (naive(a.submitted_at), a.id), default=None)
        moments = [naive(a.submitted_at) for a in attempts if a.submitted_at is not None]
        moments += [naive(v.last_seen) for v in db.session.scalars(select(LessonView).where(LessonView.user_id == person.id))]
        moments += [naive(c.completed_at) for c in db.session.scalars(
            select(ModuleCompletion).where(ModuleCompletion.user_id == person.id))]
        moments += [naive(c.completed_at) for c in db.session.scalars(
            select(CourseCompletion).where(CourseCompletion.user_id == person.id))]
        found[person.id] = (last.percent if last else None, max((a.percent for a in scored), default=None),
                            max(moments, default=None))
    return found


def reference_modules(people, modules):
    ids = {p.id for p in in_view(people)}
    found = {}
    for target in modules:
        views = [v for v in db.session.scalars(select(LessonView).where(LessonView.module_id == target.id))
                 if v.user_id in ids]
        attempts = [a for a in db.session.scalars(select(QuizAttempt).where(QuizAttempt.module_id == target.id))
                    if a.user_id in ids]
        submitted = [a for a in attempts if a.status == SUBMITTED]
        percents = [Decimal(str(a.percent)) for a in submitted if a.percent is not None]
        completed = [c for c in db.session.scalars(select(ModuleCompletion).where(ModuleCompletion.module_id == target.id))
                     if c.user_id in ids]
        found[target.id] = {
            "enrolled": len({v.user_id for v in views} | {a.user_id for a in attempts}),
            "completed": len(completed), "submitted": len(submitted),
            "passed": sum(1 for a in submitted if a.passed),
            "average": sum(percents) / len(percents) if percents else None,
            "takers": len({a.user_id for a in submitted}), "seconds": sum(v.seconds for v in views)}
    return found


def test_figures_equal_the_raw_rows(app, org, make_user, imported):
    for seed in (1, 2, 3):
        if seed > 1:  # a fresh world each round
            for model in (QuizAttempt, LessonView, ModuleCompletion, CourseCompletion, UnitSupervisor):
                db.session.query(model).delete()
            from lms.plugins.quizzes.models import QuizScore
            db.session.query(QuizScore).delete()
            from lms.auth.models import User, UserRole
            victims = [u.id for u in db.session.scalars(select(User).where(
                User.username.like("p%") | (User.username == "boss")))]
            db.session.query(UserRole).filter(UserRole.user_id.in_(victims)).delete()
            db.session.query(User).filter(User.id.in_(victims)).delete()
            db.session.commit()
        boss, people, modules = generate(org, make_user, seed)
        with app.test_request_context("/reports/"):
            figures = {f.user_id: f for f in dashboard.people_figures(boss, dashboard.Filters())}
            expected = reference_people(people)
            assert set(figures) == set(expected)
            for user_id, (latest, best, last) in expected.items():
                got = figures[user_id]
                assert (got.latest, got.best, naive(got.last_activity)) == (latest, best, last), user_id

            rows = {f.module_id: f for f in dashboard.module_figures(boss, dashboard.Filters(), "en")}
            for module_id, want in reference_modules(people, modules).items():
                got = rows[module_id]
                assert (got.enrolled, got.completed, got.submitted, got.passed, got.takers, got.seconds) == (
                    want["enrolled"], want["completed"], want["submitted"], want["passed"], want["takers"],
                    want["seconds"]), (seed, module_id)
                if want["average"] is None:
                    assert got.average is None
                else:  # the exact mean, and the whole percent the page shows
                    assert abs(Decimal(str(got.average)) - want["average"]) < Decimal("1e-9")
                    assert percent_cell(got.average).text == percent_cell(float(want["average"])).text

            # trends: completions and JP per local calendar month, counted the slow way
            ids = {p.id for p in in_view(people)}
            buckets = dashboard.month_buckets(local_today())
            months = dashboard.trend_figures(boss, dashboard.Filters())
            module_rows = [c for c in db.session.scalars(select(ModuleCompletion)) if c.user_id in ids]
            course_rows = [c for c in db.session.scalars(select(CourseCompletion)) if c.user_id in ids]
            for figures_of_month, (first, start, end) in zip(months, buckets, strict=True):
                def within(row, start=start, end=end):
                    return naive(start) <= naive(row.completed_at) < naive(end)
                assert figures_of_month.month == first
                assert figures_of_month.modules == sum(1 for c in module_rows if within(c))
                assert figures_of_month.courses == sum(1 for c in course_rows if within(c))
                assert figures_of_month.jp == sum(c.jp for c in course_rows if within(c))
            assert sum(m.modules for m in months) > 0  # the data reach the chart at all
