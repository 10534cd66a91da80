"""What the learning plugin holds about a person (lesson views, completions, certificates,
assignments to them) and how it erases them: certificates are revoked and lose the name;
the learning rows stay, since totals and JP count them (docs/privacy.md)."""
from __future__ import annotations

from sqlalchemy import update

from lms.extensions import db
from lms.plugins.learning.models import Assignment, Certificate, CourseCompletion, LessonView, ModuleCompletion
from lms.privacy import model_data


def personal_data(user):
    return [
        model_data("lesson_views", "Pelajaran yang Anda buka: kapan pertama dan terakhir, berapa kali, perkiraan waktu baca.",
                   "Lessons you opened: first and last time, how often, estimated reading time.",
                   LessonView, LessonView.user_id == user.id),
        model_data("module_completions", "Modul yang Anda selesaikan.", "Modules you completed.",
                   ModuleCompletion, ModuleCompletion.user_id == user.id),
        model_data("course_completions", "Kursus yang Anda selesaikan dan JP-nya.", "Courses you completed and their JP.",
                   CourseCompletion, CourseCompletion.user_id == user.id),
        model_data("certificates", "Sertifikat Anda: kode verifikasi, nama, kursus, tanggal, JP.",
                   "Your certificates: verification code, name, course, date, JP.",
                   Certificate, Certificate.user_id == user.id),
        model_data("assignments", "Penugasan belajar yang ditujukan langsung kepada Anda.",
                   "Learning assigned to you by name.", Assignment, Assignment.user_id == user.id),
    ]


def erase(user, old, tombstone):
    """Take the person's name off their certificates; they are revoked from the erasure on
    (lms.privacy's ``privacy_erasures``), so verification says "revoked" and names nobody."""
    revoked = db.session.execute(
        update(Certificate).where(Certificate.user_id == user.id)
        .values(full_name=tombstone[:200]).execution_options(synchronize_session=False)
    ).rowcount or 0
    return {"counts": {"certificates_revoked": revoked}, "files": []}
