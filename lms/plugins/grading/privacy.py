"""A person's practical tasks: their uploaded files and the grades of their essays for the
download (the essay texts themselves are in the quizzes plugin's ``quiz_answers``).
Erasure deletes the files and replaces the essay texts and the graders' feedback on them
with the tombstone: an essay is free text about its writer. The rows, credits and levels
stay (scores and item analysis count them)."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Question
from lms.plugins.grading.models import EssayGrade, EssayUpload
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from lms.plugins.records import storage
from lms.privacy import PersonalData, model_data


def personal_data(user):
    uploads = model_data("essay_uploads", "Berkas yang Anda unggah sebagai jawaban tugas praktik; berkasnya ada di "
                         "essays/<id>-<nama berkas>.",
                         "Files you uploaded as answers to practical tasks; the files are in essays/<id>-<file name>.",
                         EssayUpload, EssayUpload.user_id == user.id)

    def files():
        query = (select(EssayUpload.id, EssayUpload.stored, EssayUpload.name)
                 .where(EssayUpload.user_id == user.id).order_by(EssayUpload.id))
        for upload_id, stored, name in db.session.execute(query):
            try:
                yield f"essays/{upload_id}-{name}", str(storage.path_of(stored))
            except storage.EvidenceError:
                continue

    uploads.files = files
    columns = ["answer_id", "graded_at", "levels", "feedback", "credit", "times"]

    def grades():
        query = (select(EssayGrade).join(QuizAnswer, QuizAnswer.id == EssayGrade.answer_id)
                 .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
                 .where(QuizAttempt.user_id == user.id).order_by(EssayGrade.id))
        for row in db.session.scalars(query):
            yield {name: getattr(row, name) for name in columns}

    return [uploads, PersonalData("essay_grades", "Nilai tugas praktik Anda: level per kriteria rubrik, umpan balik "
                                  "pelatih (answer_id merujuk quiz_answers).",
                                  "The grades of your practical tasks: level per rubric criterion, the trainer's "
                                  "feedback (answer_id refers to quiz_answers).", columns, grades)]


def erase(user, old, tombstone):
    files = []
    for upload in db.session.scalars(select(EssayUpload).where(EssayUpload.user_id == user.id)):
        try:
            files.append(str(storage.path_of(upload.stored)))
        except storage.EvidenceError:
            pass
        db.session.delete(upload)
    essays = list(db.session.scalars(
        select(QuizAnswer).join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .join(Question, Question.id == QuizAnswer.question_id)
        .where(QuizAttempt.user_id == user.id, Question.type == "essay", QuizAnswer.response.is_not(None))))
    for answer in essays:
        answer.response = {"text": tombstone}
    grades = 0
    if essays:
        for row in db.session.scalars(select(EssayGrade).where(EssayGrade.answer_id.in_([a.id for a in essays]))):
            if row.feedback:
                row.feedback = tombstone
                grades += 1
    return {"counts": {"essay_texts": len(essays), "essay_files": len(files), "essay_feedback": grades},
            "files": files}
