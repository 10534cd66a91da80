"""Demo grading: budi, the cataloguing trainer, grades the essays of the demo's first few
learners through the real service (``services.grade``: credit, attempt score, completion,
certificate, notification, audit), and leaves the rest in his queue so the demo shows both
a graded practical task and work waiting for a grader.

Idempotent: skipped once any essay has a grade.
"""
from __future__ import annotations

import random

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.grading import services
from lms.plugins.grading.models import EssayGrade

SEED = 61
GRADER = "budi"
LEFT_WAITING = 2  # the newest essays stay in the queue
FEEDBACK = ("Deskripsi sudah runtut; periksa lagi tanda baca ISBD pada judul dan pernyataan tanggung jawab.",
            "Langkahnya lengkap. Nomor klasifikasi perlu dijelaskan dari bagan mana diambil.",
            "Cukup baik. Tambahkan alasan pemilihan tajuk subjek.")


def seed(log) -> None:
    if db.session.scalar(select(EssayGrade.id).limit(1)) is not None:
        log(_("Demo grading: already present."))
        return
    grader = db.session.scalar(select(User).where(User.username == GRADER))
    if grader is None:
        return
    waiting = services.queue(grader)
    if not waiting:
        return
    rng = random.Random(SEED)
    graded = 0
    for item in waiting[:max(0, len(waiting) - LEFT_WAITING)]:
        found = services.gradable(grader, item.answer_id)
        if found is None:
            continue
        levels = []
        for criterion in found.question.data["rubric"]:  # mostly the upper levels, as a trainer would
            points = [level["points"] for level in criterion["levels"]]
            levels.append(points[max(0, len(points) - 1 - int(rng.random() ** 2 * len(points)))])
        services.grade(grader, found, levels, rng.choice(FEEDBACK))
        graded += 1
    log(_("Demo grading: %(graded)d practical tasks graded, %(waiting)d awaiting grading.",
          graded=graded, waiting=services.waiting_count(grader)))
