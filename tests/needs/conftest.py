"""Shared needs fixtures: the sample survey instruments loaded, and a patron-survey round.

The instruments in ``tests/fixtures/surveys/good`` use the competencies of the sample course
(``tests/fixtures/courses``): cat-marc, cat-classification and cs-reference-interview.
"""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.clock import local_today
from lms.extensions import db
from lms.plugins.needs.models import NeedsRound, Survey

SURVEY_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "surveys"


@pytest.fixture
def survey_root(tmp_path) -> Path:
    """A writable copy of the good instrument files."""
    target = tmp_path / "surveys"
    shutil.copytree(SURVEY_FIXTURES / "good", target)
    return target


@pytest.fixture
def loaded_surveys(imported, survey_root) -> dict[str, Survey]:
    """The good instruments imported: slug -> Survey (diri, atasan, pemustaka)."""
    from lms.plugins.needs.surveys import import_surveys

    import_surveys(survey_root)
    return {s.slug: s for s in db.session.scalars(select(Survey))}


@pytest.fixture
def patron_round(loaded_surveys) -> NeedsRound:
    """A round that closed last week and ran the ``pemustaka`` patron survey."""
    today = local_today()
    from tests.needs.test_analysis import home_unit

    needs_round = NeedsRound(title="Putaran Uji", opens_on=today - timedelta(days=30),
                             closes_on=today - timedelta(days=7), patron_survey_id=loaded_surveys["pemustaka"].id,
                             organisation_id=home_unit().id)
    db.session.add(needs_round)
    db.session.commit()
    return needs_round
