"""Curriculum fixtures: a closed needs round with hand-built evidence over the sample course
(``tests/fixtures/courses``: module ``marc`` -> cat-marc, ``ddc`` -> cat-classification,
and cs-reference-interview with no module).

The ``evidence`` fixture gives, worked out by hand (Borich, self-assessment only, so each
priority equals the self need ``clamp(MWDS / 20)``):

=====================  ==============  ==============  ==========================  ========
competency             ani (I, A)      bob (I, A)      MWDS = sum(D) * mean(I) / n  priority
=====================  ==============  ==============  ==========================  ========
cat-classification     4, 3            5, 1            5 * 4.5 / 2 = 11.25          0.5625 #1
cs-reference-interview 5, 1            2, 2            4 * 3.5 / 2 = 7              0.35   #2
cat-marc               5, 2            3, 3            3 * 4 / 2 = 6                0.30   #3
=====================  ==============  ==============  ==========================  ========

ani (branch-a, English) personally: cat-marc 15/20 = 0.75, cat-classification 4/20 = 0.2.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.clock import local_today
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from lms.plugins.needs.models import SELF, SUPERVISOR, NeedsRound, StaffAnswer, StaffResponse, Survey

SELF_ANSWERS = {
    "ani": {"cat-marc": (5, 2), "cat-classification": (4, 3), "cs-reference-interview": (5, 1)},
    "bob": {"cat-marc": (3, 3), "cat-classification": (5, 1), "cs-reference-interview": (2, 2)},
}


def module(slug: str) -> Module:
    return db.session.scalar(select(Module).join(Course).where(Course.slug == "contoh", Module.slug == slug))


@pytest.fixture
def surveys(imported) -> dict[str, Survey]:
    found = {}
    for kind in (SELF, SUPERVISOR):
        survey = Survey(slug=f"uji-{kind}", kind=kind, title_id=f"Uji {kind}", title_en=f"Test {kind}",
                        source_hash="0" * 64)
        db.session.add(survey)
        found[kind] = survey
    db.session.commit()
    return found


@pytest.fixture
def make_round(surveys):
    def make(title: str = "Putaran 2026", closed_days_ago: int = 2, units=(), organisation=None) -> NeedsRound:
        today = local_today()
        needs_round = NeedsRound(title=title, opens_on=today - timedelta(days=30 + closed_days_ago),
                                 closes_on=today - timedelta(days=closed_days_ago),
                                 self_survey_id=surveys[SELF].id, supervisor_survey_id=surveys[SUPERVISOR].id,
                                 organisation_id=organisation.id if organisation is not None else None)
        needs_round.units = list(units)
        db.session.add(needs_round)
        db.session.commit()
        return needs_round

    return make


@pytest.fixture
def answer(surveys):
    """``answer(round, user, {competency: (importance, ability)})`` a self-assessment, or with
    ``rater=`` a supervisor rating ``{competency: ability}``."""
    def record(needs_round: NeedsRound, user, answers: dict, rater=None) -> StaffResponse:
        kind = SELF if rater is None else SUPERVISOR
        response = StaffResponse(round_id=needs_round.id, survey_id=surveys[kind].id, kind=kind, subject_id=user.id,
                                 rater_id=(rater or user).id, unit_id=user.unit_id, position=user.position)
        for competency_id, value in answers.items():
            importance, ability = value if kind == SELF else (None, value)
            response.answers.append(StaffAnswer(competency_id=competency_id, importance=importance, ability=ability))
        db.session.add(response)
        db.session.commit()
        return response

    return record


@pytest.fixture
def evidence(org, make_user, make_round, answer):
    """The closed round of the table above, for the whole organisation; returns
    ``{"round", "ani", "bob"}``."""
    ani = make_user("ani", unit=org["branch_a"], locale="en", position="Pustakawan Ahli Pertama")
    bob = make_user("bob", unit=org["branch_b"], locale="en")
    needs_round = make_round()
    answer(needs_round, ani, SELF_ANSWERS["ani"])
    answer(needs_round, bob, SELF_ANSWERS["bob"])
    return {"round": needs_round, "ani": ani, "bob": bob}


@pytest.fixture
def trainer(make_user, org):
    """Tina, a trainer at the library who reads English."""
    return make_user("tina", roles=("trainer",), unit=org["library"], locale="en")
