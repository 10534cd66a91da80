"""What the needs plugin holds about a person: their self-assessments, their supervisors'
ratings of them, and their feedback on modules. Erasure keeps the numbers (the gap analysis
counts them) and replaces the free-text feedback comments."""
from __future__ import annotations

from sqlalchemy import select, update

from lms.extensions import db
from lms.plugins.needs.models import SELF, ModuleFeedback, StaffAnswer, StaffResponse
from lms.privacy import PersonalData

ANSWER_COLUMNS = ["response_id", "round_id", "kind", "submitted_at", "updated_at", "unit_id", "position",
                  "competency_id", "importance", "ability"]


def _answers(user_id: int, self_assessment: bool):
    def rows():
        kind = StaffResponse.kind == SELF if self_assessment else StaffResponse.kind != SELF
        query = (select(StaffResponse, StaffAnswer).join(StaffAnswer, StaffAnswer.response_id == StaffResponse.id)
                 .where(StaffResponse.subject_id == user_id, kind)
                 .order_by(StaffResponse.id, StaffAnswer.competency_id))
        for response, answer in db.session.execute(query.execution_options(yield_per=500)):
            yield {"response_id": response.id, "round_id": response.round_id, "kind": response.kind,
                   "submitted_at": response.submitted_at, "updated_at": response.updated_at,
                   "unit_id": response.unit_id, "position": response.position,
                   "competency_id": answer.competency_id, "importance": answer.importance, "ability": answer.ability}
    return rows


def personal_data(user):
    from lms.privacy import model_data

    return [
        PersonalData("self_assessments", "Penilaian diri Anda dalam survei kebutuhan pelatihan: kepentingan dan kemampuan per kompetensi (1-5).",
                     "Your self-assessments in training-needs surveys: importance and ability per competency (1-5).",
                     ANSWER_COLUMNS, _answers(user.id, True)),
        PersonalData("supervisor_ratings", "Penilaian atasan tentang kemampuan Anda per kompetensi (1-5); nama penilai tidak disertakan.",
                     "Your supervisors' ratings of your ability per competency (1-5); the rater is not named.",
                     ANSWER_COLUMNS, _answers(user.id, False)),
        model_data("module_feedback", "Umpan balik Anda tentang modul: berguna, jelas, dapat diterapkan (1-5) dan komentar.",
                   "Your feedback on modules: useful, clear, applicable (1-5) and comment.",
                   ModuleFeedback, ModuleFeedback.user_id == user.id),
    ]


def erase(user, old, tombstone):
    comments = db.session.execute(
        update(ModuleFeedback).where(ModuleFeedback.user_id == user.id, ModuleFeedback.comment != "")
        .values(comment=tombstone).execution_options(synchronize_session="fetch")).rowcount or 0
    return {"counts": {"feedback_comments": comments}, "files": []}
