"""A person's quiz attempts and answers for their download. Erasure keeps them (they are
counted by item analysis and pass rates) under the pseudonymised account; they hold no
free text but the person's answers to the questions, which are not about them."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt
from lms.privacy import PersonalData, columns_of, model_data


def personal_data(user):
    answer_columns = columns_of(QuizAnswer)

    def answers():
        query = (select(QuizAnswer).join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
                 .where(QuizAttempt.user_id == user.id).order_by(QuizAnswer.id))
        for answer in db.session.scalars(query.execution_options(yield_per=500)):
            yield {name: getattr(answer, name) for name in answer_columns}

    return [
        model_data("quiz_attempts", "Percobaan kuis Anda: modul, nomor percobaan, waktu, nilai, lulus atau tidak.",
                   "Your quiz attempts: module, attempt number, times, score, passed or not.",
                   QuizAttempt, QuizAttempt.user_id == user.id),
        PersonalData("quiz_answers", "Jawaban Anda pada setiap soal kuis dan nilainya (attempt_id merujuk quiz_attempts).",
                     "Your answer to each quiz question and its credit (attempt_id refers to quiz_attempts).",
                     answer_columns, answers),
    ]
