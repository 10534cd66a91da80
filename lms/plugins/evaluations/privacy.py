"""What the evaluations hold about a person: their evaluation windows, their self-reports and
their supervisors' observations of them (ratings, notes, evidence file; the observer is not
named). Erasure keeps the ratings (the results and the needs analysis count them) and
replaces the free text - examples, barrier notes, observation notes - and deletes the
evidence files."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.plugins.evaluations.models import EvaluationRating, EvaluationResponse, EvaluationWindow
from lms.privacy import PersonalData

COLUMNS = ["window_id", "competency_id", "opens_on", "closes_on", "kind", "submitted_at", "indicator",
           "indicator_text", "frequency", "example", "barriers", "barrier_note", "note", "evidence_name"]
ERASED_EVIDENCE = "erased-{id}"  # never matches the storage's names: the evidence view answers 404


def _rows(user_id: int):
    def rows():
        query = (select(EvaluationWindow, EvaluationResponse, EvaluationRating)
                 .join(EvaluationResponse, EvaluationResponse.window_id == EvaluationWindow.id)
                 .join(EvaluationRating, EvaluationRating.response_id == EvaluationResponse.id)
                 .where(EvaluationWindow.user_id == user_id)
                 .order_by(EvaluationWindow.id, EvaluationResponse.kind, EvaluationRating.indicator))
        for window, response, rating in db.session.execute(query):
            yield {"window_id": window.id, "competency_id": window.competency_id, "opens_on": window.opens_on,
                   "closes_on": window.closes_on, "kind": response.kind, "submitted_at": response.submitted_at,
                   "indicator": rating.indicator, "indicator_text": rating.text_id, "frequency": rating.frequency,
                   "example": response.example, "barriers": response.barriers, "barrier_note": response.barrier_note,
                   "note": response.note, "evidence_name": response.evidence_name}
    return rows


def personal_data(user):
    item = PersonalData(
        "post_training_evaluations",
        "Evaluasi pasca pelatihan: laporan diri Anda dan pengamatan atasan tentang penerapan tiap perilaku "
        "(1 tidak pernah - 4 selalu), contoh, hambatan, catatan; berkas bukti ada di evaluation-evidence/. "
        "Nama pengamat tidak disertakan.",
        "Post-training evaluations: your self-reports and your supervisors' observations of how often you "
        "apply each behaviour (1 never - 4 always), examples, barriers, notes; evidence files are in "
        "evaluation-evidence/. The observer is not named.",
        COLUMNS, _rows(user.id))

    def files():
        from lms.plugins.records import storage

        query = (select(EvaluationResponse.window_id, EvaluationResponse.evidence_stored, EvaluationResponse.evidence_name)
                 .join(EvaluationWindow, EvaluationWindow.id == EvaluationResponse.window_id)
                 .where(EvaluationWindow.user_id == user.id, EvaluationResponse.evidence_stored.is_not(None)))
        for window_id, stored, name in db.session.execute(query):
            try:
                yield f"evaluation-evidence/{window_id}-{name}", str(storage.path_of(stored))
            except storage.EvidenceError:
                continue

    item.files = files
    return [item]


def erase(user, old, tombstone):
    """Replace the free text about the person and forget their evidence files (deleted
    once the erasure commits)."""
    responses = list(db.session.scalars(
        select(EvaluationResponse).join(EvaluationWindow, EvaluationWindow.id == EvaluationResponse.window_id)
        .where(EvaluationWindow.user_id == user.id)))
    texts, files = 0, []
    for response in responses:
        for name in ("example", "barrier_note", "note"):
            if getattr(response, name):
                setattr(response, name, tombstone)
                texts += 1
        if response.evidence_stored:
            from lms.plugins.records import storage

            try:
                files.append(str(storage.path_of(response.evidence_stored)))
            except storage.EvidenceError:
                pass
            response.evidence_stored = ERASED_EVIDENCE.format(id=response.id)
            response.evidence_name = "-"
    return {"counts": {"evaluation_texts": texts, "evaluation_evidence_files": len(files)}, "files": files}
