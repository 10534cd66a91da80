"""``example_response`` (the answers of the demo and benchmark data) for every registered
question type, on every question of the real courses: the right response earns full
credit (an essay waits for its trainer), a worse one earns less, and each is exactly what
the type's form would read back."""
from __future__ import annotations

import random

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms.extensions import db
from lms.plugins.courses.models import Question
from lms.plugins.courses.services import import_courses
from lms.plugins.quizzes.services import registry
from tests.conftest import ROOT


def _round_trip(qtype, data: dict, response: dict, rng: random.Random) -> dict | None:
    layout = qtype.layout(data, rng, True)
    form = MultiDict()
    for name, values in qtype.form_values(response, layout, "q-1").items():
        for value in values:
            form.add(name, value)
    return qtype.read(form.getlist("q-1"), data, layout, "q-1", form)


def test_every_type_answers_every_real_question(app):
    with app.test_request_context():
        report = import_courses([ROOT / "courses"])
        assert report.ok, report.problems
        types = registry()
        questions = list(db.session.scalars(select(Question)))
        assert {q.type for q in questions} == set(types)  # every registered type is in the courses
        rng = random.Random(7)
        for question in questions:
            qtype = types[question.type]
            for quality in (1.0, 0.5, 0.0):
                for _variant in range(3):
                    response = qtype.example_response(question.data, rng, quality)
                    assert response is not None, (question.qid, quality)
                    assert _round_trip(qtype, question.data, response, rng) == response, (question.qid, quality)
                    credit = qtype.grade(question.data, response)
                    if qtype.manual:
                        assert credit is None, question.qid  # awaiting its trainer
                    elif quality == 1.0:
                        assert credit == 1.0, (question.qid, response)
                    else:
                        assert credit < 1.0, (question.qid, quality, response)
                        if quality == 0.0 and question.type not in ("single", "short", "numeric"):
                            assert credit == 0.0, (question.qid, response)
