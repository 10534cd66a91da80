"""``lms demo --scale N``: the benchmark's synthetic data, at a size the test suite can afford.

One run at N = 50 (module fixture-free: each test that needs it runs it once) checks that
row counts follow N, that the bulk rows are data the app would have written itself
(grades, completions, foreign keys), and that the pages the benchmark times - the big
unit's dashboard, item analysis and the needs analysis - work on them. No timings.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from lms.auth.models import Unit, User
from lms.core import bench_data as scale
from lms.core.demo import DEMO_PASSWORD
from lms.plugins.learning.models import Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.needs.models import PatronResponse, StaffAnswer, StaffResponse
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from tests.conftest import login

N = 50
PROJECT = Path(__file__).resolve().parent.parent  # courses/ is read from the project folder


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def scaled(app, runner, db, monkeypatch):
    monkeypatch.chdir(PROJECT)
    result = runner.invoke(args=["demo", "--scale", str(N)])
    assert result.exit_code == 0, result.output
    return result.output


def test_unit_plan_at_5000_has_realistic_sizes_and_a_unit_of_200():
    units = scale.plan_units(5000, random.Random(scale.SEED))
    sizes = {unit.code: unit.size for unit in units}
    assert sizes[scale.BIG_CODE] == 200
    assert sum(sizes.values()) == 5000
    leaves = [size for size in sizes.values() if size]
    assert min(leaves) >= 20 and max(leaves) <= 300
    assert len({unit.code for unit in units}) == len(units)
    assert {unit.kind for unit in units} == {"library", "branch", "section"}


def test_counts_follow_n_and_a_second_run_is_refused(app, db, runner, scaled):
    assert f"Scale {N}:" in scaled and " rows in " in scaled and scale.BIG_HEAD in scaled
    librarians = scale.people()
    assert len(librarians) == N
    attempts, answers = count(db, QuizAttempt), count(db, QuizAnswer)
    assert 150 * N <= attempts <= 250 * N  # about 200 per librarian
    assert 7 * attempts <= answers <= 9 * attempts  # one per question, ~8 questions a quiz
    assert count(db, StaffResponse) == 2 * N  # self-assessment and the head's rating
    assert count(db, StaffAnswer) == 2 * N * 15
    assert count(db, PatronResponse) == 20
    assert count(db, LessonView) > 40 * N
    assert 0 < count(db, CourseCompletion) == count(db, Certificate) < count(db, ModuleCompletion)
    big = db.session.scalar(select(Unit).where(Unit.code == scale.BIG_CODE))
    assert sum(1 for person in librarians if person.unit_id == big.id) == round(N * scale.BIG_SHARE)

    again = runner.invoke(args=["demo", "--scale", str(N)])  # not idempotent: refused
    assert again.exit_code != 0 and "already" in again.output


def test_rows_are_what_the_app_would_have_written(app, db, scaled):
    from lms.plugins.courses.models import Course, Module
    from lms.plugins.learning import services as learning
    from lms.plugins.quizzes import services as quizzes

    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    rng = random.Random(7)
    ids = list(db.session.scalars(select(QuizAttempt.id)))
    for attempt_id in rng.sample(ids, 40):  # the real grader gives the stored grade
        attempt = db.session.get(QuizAttempt, attempt_id)
        stored = (attempt.score, attempt.percent, attempt.passed, sorted((a.question_id, a.credit)
                                                                          for a in attempt.answers))
        quizzes.grade_attempt(attempt)
        assert stored == (attempt.score, attempt.percent, attempt.passed,
                          sorted((a.question_id, a.credit) for a in attempt.answers))
        db.session.rollback()
    pairs = db.session.execute(select(QuizAttempt.user_id, QuizAttempt.module_id).distinct()).all()
    for user_id, module_id in rng.sample(pairs, 60):  # completions follow the app's rule
        module = db.session.get(Module, module_id)
        assert learning.module_requirements_met(user_id, module) == learning.is_module_complete(user_id, module_id)
    for course in db.session.scalars(select(Course)):
        modules = learning.course_modules(course)
        for person in scale.people()[:10]:
            complete = all(learning.is_module_complete(person.id, m.id) for m in modules)
            assert complete == (learning.completion_of(person.id, course.id) is not None)
    from lms.plugins.courses.models import Question

    full = set(db.session.scalars(select(Question.type).join(QuizAnswer, QuizAnswer.question_id == Question.id)
                                  .where(QuizAnswer.credit == 1.0).distinct()))
    assert {"marc", "classnumber", "essay", "single", "ordering"} <= full  # every type is answered right
    # new rows go after the bulk ones (PostgreSQL's sequences were moved on)
    person = scale.people()[0]
    module = db.session.scalar(select(Module).where(Module.active.is_(True)).order_by(Module.id))
    assert quizzes.start_attempt(person.id, module).id == max(ids) + 1


def test_dashboard_item_analysis_and_needs_analysis_work_on_it(app, db, scaled):
    from lms.plugins.needs import analysis
    from lms.plugins.quizzes.item_analysis import item_analysis

    client = app.test_client()
    assert login(client, scale.BIG_HEAD, DEMO_PASSWORD).status_code == 302
    page = client.get("/reports/")
    assert page.status_code == 200
    big = db.session.scalar(select(Unit).where(Unit.code == scale.BIG_CODE))
    members = db.session.scalars(select(User.full_name).where(User.unit_id == big.id, User.username != scale.BIG_HEAD))
    html = page.get_data(as_text=True)
    assert all(name in html for name in members)
    version_id = db.session.scalar(select(QuizAttempt.module_version_id).limit(1))
    result = item_analysis(version_id)
    assert result.attempts > 0 and all(0 <= row.facility <= 1 for row in result.items)
    assert client.get(f"/quiz/items/{version_id}").status_code == 200

    needs_round = analysis.latest_closed_round()
    assert "skala" in needs_round.title
    result = analysis.analyze(needs_round)
    assert result.respondents == N
    sources = {source for score in result.competencies for source in score.needs}
    assert sources == {"self", "supervisor", "quiz", "patron"}
    client = app.test_client()
    assert login(client, scale.ROOT_HEAD, DEMO_PASSWORD).status_code == 302
    assert client.get("/needs/analysis/").status_code == 200


def test_a_shorter_history_keeps_the_organisation_and_shrinks_the_activity(app, db, runner, monkeypatch):
    """--attempts-per-librarian (the scaling curve): the same people and units, fewer
    attempts, each module still attempted until passed or given up."""
    monkeypatch.chdir(PROJECT)
    result = runner.invoke(args=["demo", "--scale", str(N), "--attempts-per-librarian", "20"])
    assert result.exit_code == 0, result.output
    assert "~20 quiz attempts per librarian" in result.output
    assert len(scale.people()) == N
    attempts = count(db, QuizAttempt)
    assert 15 * N <= attempts <= 30 * N  # about 20 each, not 200
    per_person = dict(db.session.execute(select(QuizAttempt.user_id, func.count()).group_by(QuizAttempt.user_id)).all())
    assert set(per_person) == {person.id for person in scale.people()}  # everyone has some history
    modules = db.session.scalar(select(func.count(func.distinct(QuizAttempt.module_id))))
    first_pass = db.session.scalar(select(func.count()).select_from(QuizAttempt).where(
        QuizAttempt.number == 1))
    assert first_pass < 15 * N and modules > 1  # ~10 modules each, not all 60


def test_attempts_per_librarian_is_bounded(runner):
    result = runner.invoke(args=["demo", "--scale", str(N), "--attempts-per-librarian", "0"])
    assert result.exit_code != 0 and "attempts-per-librarian" in result.output


def test_a_province_at_5000_keeps_the_people_and_units_of_one_organisation():
    """``--organisations 14`` at the benchmark's size changes which units are libraries, not
    who works where: the figures of the existing scenarios stay comparable."""
    one = scale.plan_units(5000, random.Random(scale.SEED))
    province = scale.plan_units(5000, random.Random(scale.SEED), organisations=14)
    assert [(u.code, u.parent, u.size) for u in one] == [(u.code, u.parent, u.size) for u in province]
    libraries = [u for u in province if u.kind == "library"]
    assert len(libraries) == 15 and libraries[0].code == scale.ROOT_CODE
    assert {u.name for u in libraries[1:]} >= {"Dinas Perpustakaan dan Kearsipan Kota Palangka Raya",
                                                "Dinas Perpustakaan dan Kearsipan Kabupaten Murung Raya"}


def test_organisations_build_a_province_of_libraries_with_their_heads(app, db, runner, monkeypatch):
    """``lms demo --scale N --organisations 3``: the provincial service and three libraries
    below it are organisations, every unit points at its nearest one (as
    ``assign_organisations`` would set it), each library has its head and its staff, and the
    provincial head supervises them all."""
    from lms import organisations
    from lms.auth.models import Organisation, UnitSupervisor

    monkeypatch.chdir(PROJECT)
    result = runner.invoke(args=["demo", "--scale", "20", "--organisations", "3"])
    assert result.exit_code == 0, result.output
    assert scale.LIBRARY_HEAD in result.output
    units = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    marked = {code for code, unit in units.items() if unit.organisation is not None}
    libraries = {f"skala-{code}" for code in ("palangka", "kobar", "kotim")}
    assert marked == {"skala"} | libraries
    names = dict(db.session.execute(select(Unit.code, Organisation.full_name)
                                    .join(Organisation, Organisation.unit_id == Unit.id)).all())
    assert names["skala-palangka"] == "Dinas Perpustakaan dan Kearsipan Kota Palangka Raya"
    assert organisations.assign_organisations() == 0  # the bulk rows are what the app would set
    db.session.rollback()
    for code, unit in units.items():
        library = next((lib for lib in libraries if code == lib or code.startswith(lib + "-")), "skala")
        assert unit.organisation_id == units[library].id, code

    heads = dict(db.session.execute(select(UnitSupervisor.unit_id, User.username)
                                    .join(User, User.id == UnitSupervisor.user_id)).all())
    assert heads[units["skala"].id] == scale.ROOT_HEAD
    for code in libraries:
        assert heads[units[code].id] == "kepala-" + code.removeprefix("skala-")
        staff = [p for p in scale.people() if units_by_id(units)[p.unit_id].organisation_id == units[code].id]
        assert staff, code
    assert len(scale.people()) == 20
    assert set(db.session.scalars(organisations.ids_below([units["skala"].id]))) == \
        {units[code].id for code in marked}
    head = db.session.scalar(select(User).where(User.username == scale.ROOT_HEAD))
    assert set(db.session.scalars(organisations.supervised_ids(head))) == {units[code].id for code in marked}
    head = db.session.scalar(select(User).where(User.username == scale.LIBRARY_HEAD))
    assert set(db.session.scalars(organisations.supervised_ids(head))) == {units["skala-palangka"].id}

    # the library's head sees the library's people on the dashboard, and nobody else's
    client = app.test_client()
    assert login(client, scale.LIBRARY_HEAD, DEMO_PASSWORD).status_code == 302
    html = client.get("/reports/").get_data(as_text=True)
    by_id = units_by_id(units)
    library_id = units["skala-palangka"].id
    mine = {p.full_name for p in scale.people() if by_id[p.unit_id].organisation_id == library_id}
    others = {p.full_name for p in scale.people() if by_id[p.unit_id].organisation_id != library_id} - mine
    assert mine and others
    assert all(f">{name}<" in html for name in mine)
    assert not any(f">{name}<" in html for name in others)

    # the provincial head's dashboard covers every library in the same statements as one
    # library's or one unit's: no statement per organisation (the benchmark's pages)
    def statements_of(username: str) -> int:
        viewer = app.test_client()
        assert login(viewer, username, DEMO_PASSWORD).status_code == 302
        viewer.get("/reports/")
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert viewer.get("/reports/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements_of(scale.ROOT_HEAD) == statements_of(scale.LIBRARY_HEAD) == statements_of(scale.BIG_HEAD)


def units_by_id(units: dict) -> dict:
    return {unit.id: unit for unit in units.values()}


def test_organisations_are_bounded_and_need_scale(runner):
    result = runner.invoke(args=["demo", "--scale", str(N), "--organisations", "15"])
    assert result.exit_code != 0 and "organisations" in result.output
    result = runner.invoke(args=["demo", "--organisations", "3"])
    assert result.exit_code != 0 and "--scale" in result.output
