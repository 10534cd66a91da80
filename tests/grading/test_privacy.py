"""Essays and their files are personal data: in the person's download, and gone with the
rest when the person is erased (texts and the trainer's feedback replaced, files deleted;
the credits stay for the figures)."""
from __future__ import annotations

import io
import json
import os
import zipfile

from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.grading.models import EssayGrade, EssayUpload
from lms.plugins.quizzes.models import QuizAnswer
from tests.conftest import csrf_token
from tests.grading.conftest import ESSAY_TEXT, PDF, start, submit
from tests.grading.test_grading import essay_answer, grade_form
from tests.grading.test_uploads import upload


def test_download_holds_the_essay_its_file_and_its_grade(app, learner, trainer):
    attempt_id = start(learner)
    upload(learner, attempt_id, PDF, "deskripsi.pdf")
    submit(learner, attempt_id)
    answer = essay_answer(attempt_id)
    trainer.post(f"/grading/answer/{answer.id}", data=grade_form(trainer, answer.id, ["2", "1", "3"], "Rapi sekali."))
    response = learner.post("/account/data", data={"csrf_token": csrf_token(learner, "/account")})
    archive = zipfile.ZipFile(io.BytesIO(response.get_data()))
    answers = json.loads(archive.read("quiz_answers.json"))
    assert any(row["response"] and row["response"].get("text") == ESSAY_TEXT for row in answers)
    grades = json.loads(archive.read("essay_grades.json"))
    assert grades[0]["feedback"] == "Rapi sekali." and grades[0]["levels"] == [2, 1, 3]
    files = json.loads(archive.read("essay_uploads.json"))
    assert files[0]["name"] == "deskripsi.pdf"
    assert archive.read(f"essays/{files[0]['id']}-deskripsi.pdf") == PDF


def test_erasure_removes_the_essay_text_feedback_and_file(app, learner, trainer, make_user):
    from lms.privacy import services as privacy

    attempt_id = start(learner)
    upload(learner, attempt_id, PDF, "deskripsi.pdf")
    submit(learner, attempt_id)
    answer = essay_answer(attempt_id)
    trainer.post(f"/grading/answer/{answer.id}", data=grade_form(trainer, answer.id, ["2", "1", "3"], "Rapi sekali."))
    stored = db.session.scalar(select(EssayUpload)).stored
    path = os.path.join(app.config["RECORDS_EVIDENCE_DIR"], stored)
    assert os.path.exists(path)
    admin = make_user("adi", roles=("admin",))
    erased = privacy.erase(db.session.get(User, learner.user.id), admin)
    assert erased.counts["essay_texts"] == 1 and erased.counts["essay_files"] == 1
    db.session.expire_all()
    kept = db.session.get(QuizAnswer, answer.id)
    assert ESSAY_TEXT not in json.dumps(kept.response) and kept.credit == 1.0
    assert db.session.scalar(select(EssayGrade)).feedback != "Rapi sekali."
    assert db.session.scalar(select(EssayUpload)) is None
    assert not os.path.exists(path)
