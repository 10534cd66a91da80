"""Practical tasks from submit to grade: an attempt with an essay waits for its trainer
(no module grade, completion, certificate or JP), the grade is recorded and everything
follows; the queue, the grading page and the file are for graders only; regrading is
audited; the learner sees levels and feedback."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.plugins.grading.models import EssayGrade
from lms.plugins.learning.models import Certificate, CourseCompletion, ModuleCompletion
from lms.plugins.notifications.models import Notification
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt, QuizScore
from lms.plugins.quizzes import services as quizzes
from tests.conftest import csrf_token
from tests.grading.conftest import module, question, read_lessons, start, submit


def attempt(attempt_id: int) -> QuizAttempt:
    db.session.expire_all()
    return db.session.get(QuizAttempt, attempt_id)


def essay_answer(attempt_id: int) -> QuizAnswer:
    db.session.expire_all()
    return db.session.scalar(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id,
                                                      QuizAnswer.question_id == question("praktik-deskripsi-rda").id))


def grade_form(client, answer_id: int, levels: list[str], feedback: str = "Rapi.") -> dict:
    data = {"csrf_token": csrf_token(client, f"/grading/answer/{answer_id}"), "feedback": feedback}
    data.update({f"criterion-{i}": level for i, level in enumerate(levels)})
    return data


def counts(user_id: int) -> tuple[int, int, int]:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model).where(model.user_id == user_id))
                 for model in (ModuleCompletion, CourseCompletion, Certificate))


def test_awaiting_grading_until_the_trainer_grades_then_completion_certificate_and_jp(learner, trainer):
    read_lessons(learner)
    attempt_id = start(learner)
    submit(learner, attempt_id)
    # the automatic part is graded (class number "959,83" = 959.83, the right choice: 2 of 8 points)
    waiting = attempt(attempt_id)
    assert (waiting.status, waiting.score, waiting.max_score) == ("submitted", 2.0, 8.0)
    assert waiting.percent is None and waiting.passed is None
    assert essay_answer(attempt_id).credit is None
    assert quizzes.module_grade(learner.user.id, module()) == (None, False)
    assert counts(learner.user.id) == (0, 0, 0)
    score = db.session.get(QuizScore, (learner.user.id, module().id))
    assert (score.submitted, score.scored, score.passed, score.best) == (1, 0, 0, None)
    review = learner.get(f"/quiz/attempt/{attempt_id}/review").get_data(as_text=True)
    assert "Menunggu penilaian" in review and "Menunggu pelatih" in review
    assert "Bandingkan dengan contoh" not in review  # the general feedback comes with the grade

    # the trainer's queue and home panel count it
    queue = trainer.get("/grading/").get_data(as_text=True)
    answer = essay_answer(attempt_id)
    assert f"/grading/answer/{answer.id}" in queue and "ani" in queue.lower()
    assert 'data-task="essays-waiting"' in trainer.get("/").get_data(as_text=True) or \
        "Tugas praktik menunggu penilaian" in trainer.get("/").get_data(as_text=True)

    # levels 2 + 0 + 1.5 of 2 + 1 + 3: credit 3.5 / 6; 6 points -> 3.5; + 2 = 5.5 of 8 = 68.75 %
    response = trainer.post(f"/grading/answer/{answer.id}", data=grade_form(trainer, answer.id, ["2", "0", "1.5"]))
    assert response.status_code == 302, response.get_data(as_text=True)
    graded = attempt(attempt_id)
    assert essay_answer(attempt_id).credit == 3.5 / 6
    assert (graded.score, graded.percent, graded.passed) == (5.5, 68.75, True)
    assert quizzes.module_grade(learner.user.id, module()) == (68.75, True)
    assert counts(learner.user.id) == (1, 1, 1)
    completion = db.session.scalar(select(CourseCompletion).where(CourseCompletion.user_id == learner.user.id))
    assert completion.jp == 3.0
    score = db.session.get(QuizScore, (learner.user.id, module().id))
    assert (score.scored, score.passed, score.best) == (1, 1, 68.75)
    row = db.session.scalar(select(EssayGrade))
    assert (row.grader_id, row.levels, row.feedback, row.times) == (trainer.user.id, [2, 0, 1.5], "Rapi.", 1)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "quiz.essay_graded"))
    assert entry.actor_id == trainer.user.id and entry.details["levels"] == [2, 0, 1.5]
    note = db.session.scalar(select(Notification).where(Notification.user_id == learner.user.id))
    assert note.key == "grading.graded" and note.url.startswith(f"/quiz/attempt/{attempt_id}/review")
    assert f"/grading/answer/{answer.id}" not in trainer.get("/grading/").get_data(as_text=True).split(
        "Dinilai baru-baru ini")[0]

    # the learner sees the levels, the points and the feedback
    review = learner.get(f"/quiz/attempt/{attempt_id}/review").get_data(as_text=True)
    assert "68,8" in review or "68,75" in review
    assert "Nilai: 3,5 dari 6 poin" in review
    assert "Semua unsur inti ada." in review and "Sebagian." in review and "Rapi." in review
    assert "Bandingkan dengan contoh" in review


def test_regrading_is_possible_and_audited(learner, trainer):
    attempt_id = start(learner)
    submit(learner, attempt_id)
    answer = essay_answer(attempt_id)
    trainer.post(f"/grading/answer/{answer.id}", data=grade_form(trainer, answer.id, ["0", "0", "0"]))
    assert attempt(attempt_id).percent == 25.0  # 2 of 8
    page = trainer.get(f"/grading/answer/{answer.id}").get_data(as_text=True)
    assert 'value="0" required checked' in page  # the earlier grade is shown
    trainer.post(f"/grading/answer/{answer.id}", data=grade_form(trainer, answer.id, ["2", "1", "3"], "Bagus."))
    assert attempt(attempt_id).percent == 100.0
    row = db.session.scalar(select(EssayGrade))
    assert (row.levels, row.feedback, row.times) == ([2, 1, 3], "Bagus.", 2)
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("quiz.essay%"))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["quiz.essay_graded", "quiz.essay_regraded"]


def test_a_missing_level_is_refused_and_nothing_changes(learner, trainer):
    attempt_id = start(learner)
    submit(learner, attempt_id)
    answer = essay_answer(attempt_id)
    for levels in (["2", "1"], ["2", "1", "4"], ["2", "x", "3"]):
        data = grade_form(trainer, answer.id, levels)
        if len(levels) == 2:
            data.pop("criterion-2", None)
        response = trainer.post(f"/grading/answer/{answer.id}", data=data)
        assert response.status_code == 400
        assert "Pilih level untuk setiap kriteria" in response.get_data(as_text=True)
    assert essay_answer(attempt_id).credit is None
    assert db.session.scalar(select(func.count()).select_from(EssayGrade)) == 0


def test_a_blank_essay_needs_no_grader(learner, trainer):
    attempt_id = start(learner)
    response = learner.post(f"/quiz/attempt/{attempt_id}/submit", data={
        "csrf_token": csrf_token(learner, f"/quiz/attempt/{attempt_id}"), "confirm_unanswered": "1",
        f"q-{question('ddc-sejarah-kalteng').id}": "959.83"})
    assert response.status_code == 302
    done = attempt(attempt_id)
    assert (done.score, done.percent) == (1.0, 12.5)
    assert "/grading/answer/" not in trainer.get("/grading/").get_data(as_text=True)


def test_queue_and_grading_page_refuse_other_roles_and_own_answers(app, learner, practical, make_user, org):
    from tests.conftest import login

    attempt_id = start(learner)
    submit(learner, attempt_id)
    answer = essay_answer(attempt_id)
    for roles in (("librarian",), ("supervisor",)):
        make_user("x-" + roles[0], roles=roles, unit=org["branch_a"])
        client = app.test_client()
        login(client, "x-" + roles[0])
        assert client.get("/grading/").status_code == 403
        assert client.get(f"/grading/answer/{answer.id}").status_code == 403
        assert client.post(f"/grading/answer/{answer.id}", data={"criterion-0": "2"}).status_code in (400, 403)
    assert learner.get("/grading/").status_code == 403
    # a trainer who does not teach the course (not among its authors, published no version of it)
    make_user("rudi", roles=("trainer",), unit=org["branch_a"])
    outsider = app.test_client()
    login(outsider, "rudi")
    assert outsider.get("/grading/").status_code == 200
    assert f"/grading/answer/{answer.id}" not in outsider.get("/grading/").get_data(as_text=True)
    assert outsider.get(f"/grading/answer/{answer.id}").status_code == 404
    response = outsider.post(f"/grading/answer/{answer.id}", data={
        "csrf_token": csrf_token(outsider, "/grading/"), "criterion-0": "2", "criterion-1": "1", "criterion-2": "3"})
    assert response.status_code == 404 and essay_answer(attempt_id).credit is None
    # a trainer who is also a learner and a course author: their own answer is not theirs to grade
    make_user("guru", roles=("trainer", "librarian"), unit=org["branch_a"], full_name="Tono Trainer")
    both = app.test_client()
    login(both, "guru")
    own = start(both)
    submit(both, own)
    own_answer = essay_answer(own)
    assert both.get(f"/grading/answer/{own_answer.id}").status_code == 404
    assert f"/grading/answer/{own_answer.id}" not in both.get("/grading/").get_data(as_text=True)
    assert both.get(f"/grading/answer/{answer.id}").status_code == 200
    # not an essay answer: 404
    other = db.session.scalar(select(QuizAnswer).where(QuizAnswer.attempt_id == attempt_id,
                                                       QuizAnswer.id != answer.id))
    assert both.get(f"/grading/answer/{other.id}").status_code == 404


def test_grading_needs_a_csrf_token(learner, trainer):
    attempt_id = start(learner)
    submit(learner, attempt_id)
    answer = essay_answer(attempt_id)
    data = grade_form(trainer, answer.id, ["2", "1", "3"])
    data.pop("csrf_token")
    assert trainer.post(f"/grading/answer/{answer.id}", data=data).status_code == 400
    assert essay_answer(attempt_id).credit is None


def test_item_analysis_counts_an_essay_only_once_graded(learner, trainer):
    from lms.plugins.quizzes import item_analysis, results

    attempt_id = start(learner)
    submit(learner, attempt_id)
    version_id = attempt(attempt_id).module_version_id
    rows = {row["qid"]: row for row in results.question_summary(module())}
    assert rows["praktik-deskripsi-rda"]["average_credit"] is None
    assert item_analysis.item_analysis(version_id).attempts == 0  # not graded yet: not a case
    answer = essay_answer(attempt_id)
    trainer.post(f"/grading/answer/{answer.id}", data=grade_form(trainer, answer.id, ["1", "1", "3"]))
    rows = {row["qid"]: row for row in results.question_summary(module())}
    assert rows["praktik-deskripsi-rda"]["average_credit"] == round(100 * 5 / 6, 1)
    analysis = item_analysis.item_analysis(version_id)
    assert analysis.attempts == 1
    essay = next(item for item in analysis.items if item.qid == "praktik-deskripsi-rda")
    assert essay.n == 1 and essay.facility == 5 / 6


def test_changing_a_published_short_answer_to_a_class_number_makes_a_new_version(app, course_root, practical):
    """How the DDC questions under courses/ were converted: same id, new type, new version;
    the old version keeps its short answer for the attempts made on it."""
    from lms.plugins.courses.models import ModuleVersion, Question
    from lms.plugins.courses.services import import_courses

    path = course_root / "praktik" / "01-praktik.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("type: classnumber\n", "type: short\n").replace("= 959.83\n", "= 959.83\n= 959,83\n"),
                    encoding="utf-8")
    assert import_courses([course_root]).ok
    path.write_text(text, encoding="utf-8")
    report = import_courses([course_root])
    assert report.ok, report.problems
    rows = db.session.execute(select(ModuleVersion.number, Question.type, Question.data)
                              .join(Question, Question.module_version_id == ModuleVersion.id)
                              .where(Question.qid == "ddc-sejarah-kalteng").order_by(ModuleVersion.number)).all()
    assert [(number, qtype) for number, qtype, _data in rows] == [(1, "classnumber"), (2, "short"), (3, "classnumber")]
    assert rows[2][2] == {"accepted": ["959.83"]}
