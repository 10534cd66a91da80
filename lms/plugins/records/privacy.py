"""A person's training records and their evidence files for the download; erasure deletes
the evidence files and their names. The records themselves stay (verified JP counts in
reports, and staff training records must be kept), under the pseudonymised account."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.plugins.records import storage
from lms.plugins.records.models import ExternalTraining
from lms.privacy import model_data

ERASED_EVIDENCE = "erased-{id}"  # never matches storage.STORED_RE: the evidence view answers 404


def personal_data(user):
    item = model_data("training_records",
                      "Catatan pelatihan di luar Pembina: jenis, penyelenggara, topik, tanggal, JP, status; "
                      "berkas buktinya ada di evidence/<id>-<nama berkas>.",
                      "Training outside Pembina: kind, provider, topic, dates, JP, status; "
                      "the evidence files are in evidence/<id>-<file name>.",
                      ExternalTraining, ExternalTraining.user_id == user.id)

    def files():
        query = select(ExternalTraining.id, ExternalTraining.evidence_stored, ExternalTraining.evidence_name).where(
            ExternalTraining.user_id == user.id).order_by(ExternalTraining.id)
        for record_id, stored, name in db.session.execute(query):
            try:
                path = storage.path_of(stored)
            except storage.EvidenceError:
                continue  # erased
            yield f"evidence/{record_id}-{name}", str(path)

    item.files = files
    return [item]


def erase(user, old, tombstone):
    """Forget the evidence of the person's records (the files go once the erasure commits)."""
    files = []
    records = list(db.session.scalars(select(ExternalTraining).where(ExternalTraining.user_id == user.id)))
    for record in records:
        try:
            files.append(str(storage.path_of(record.evidence_stored)))
        except storage.EvidenceError:
            continue
        record.evidence_stored = ERASED_EVIDENCE.format(id=record.id)
        record.evidence_name = "-"
        record.evidence_size = 0
        record.evidence_sha256 = ""
    return {"counts": {"evidence_files": len(files)}, "files": files}
