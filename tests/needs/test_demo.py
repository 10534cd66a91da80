"""The demo tells the story the needs issue promises, from the real ``courses/`` folder:
strong cataloguing, weak digital promotion, a proposal that differs from the demo's
curriculum, and ani's path led by her weakest competencies - each with its reasons."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.auth.models import Unit, User
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.curriculum import proposals
from lms.plugins.curriculum.models import ACTIVE, CurriculumVersion
from lms.plugins.needs import analysis
from lms.plugins.needs.models import (PATRON, SELF, SUPERVISOR, NeedsRound, PatronResponse, StaffResponse,
                                      Survey)
from lms.core.demo import HOME_LIBRARY, library_members
from lms.plugins.needs import demo as demo_data
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(full_demo):
    """The real courses imported and ``lms demo`` run: the session's demo, copied for this test."""
    return full_demo


def test_demo_round_has_staff_supervisor_and_patron_answers(demo, runner):
    needs_round = db.session.scalar(select(NeedsRound).where(NeedsRound.title == demo_data.ROUND_TITLE))
    assert analysis.round_status(needs_round) == "closed"
    librarians = db.session.scalar(select(func.count()).select_from(User).where(
        User.roles.any(role="librarian"), User.id.in_(library_members(HOME_LIBRARY))))
    counts = dict(db.session.execute(select(StaffResponse.kind, func.count())
                                     .where(StaffResponse.round_id == needs_round.id)
                                     .group_by(StaffResponse.kind)).all())
    assert counts[SELF] == librarians == 27
    assert counts[SUPERVISOR] >= 20
    assert 190 <= db.session.scalar(select(func.count()).select_from(PatronResponse)) <= 200
    assert {s.kind for s in db.session.scalars(select(Survey))} == {SELF, SUPERVISOR, PATRON}
    # a second run changes nothing
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "Putaran analisis kebutuhan demo: sudah ada." in again.output
    assert db.session.scalar(select(func.count()).select_from(NeedsRound)) == 2
    # the second library's own closed round: its staff and its head, nobody of the first library
    second = db.session.scalar(select(NeedsRound).where(NeedsRound.title == demo_data.SECOND_ROUND_TITLE))
    assert analysis.round_status(second) == "closed" and second.organisation.unit.code == "kotim"
    subjects = set(db.session.scalars(select(StaffResponse.subject_id).where(StaffResponse.round_id == second.id)))
    assert subjects and subjects <= set(db.session.scalars(library_members("kotim")))


def _home_library() -> int:
    """The first demo library (its round tells the story); the province holds two libraries."""
    return db.session.scalar(select(Unit.id).where(Unit.code == HOME_LIBRARY))


def test_demo_analysis_shows_the_patterns(demo, runner):
    result = analysis.analyze(analysis.latest_closed_round(organisation_id=_home_library()))
    ranked = [c.competency_id for c in result.competencies]
    assert ranked[0] == "dig-social-media"
    assert result.by_id("dig-social-media").quadrant == "focus"
    # cataloguing is the organisation's strength: all five rank below the top nine
    assert all(ranked.index(cid) >= 9 for cid in ranked if cid.startswith("cat-"))
    # the IT section is strong in digital skills: its own social-media gap is far smaller
    tik = db.session.scalar(select(Unit).where(Unit.code == "tik"))
    assert (analysis.analyze(result.round, unit_ids=[tik.id]).by_id("dig-social-media").mwds
            < result.by_id("dig-social-media").mwds / 2)
    printed = runner.invoke(args=["needs", "analyze", "--json", "--organisation", HOME_LIBRARY])
    assert printed.exit_code == 0
    data = json.loads(printed.output)
    assert data["competencies"][0]["id"] == "dig-social-media" and data["competencies"][0]["rank"] == 1


def test_demo_proposal_differs_from_the_active_curriculum(demo):
    active = db.session.scalar(select(CurriculumVersion).where(CurriculumVersion.status == ACTIVE))
    assert active is not None and active.number == 1
    draft = proposals.propose(organisation_id=_home_library())
    changes = proposals.diff(draft, active, "en")
    kinds = {change.kind for change in changes}
    assert {"added", "removed"} <= kinds
    first = draft.items[0]
    assert first.module.slug == "promosi-koleksi-di-media-sosial" and first.reason["rank"] == 1


def test_ani_path_starts_with_her_weakest_competency(demo, client):
    login(client, "ani", "pembina-demo")
    html = client.get("/learning/").get_data(as_text=True)
    path = html[html.index('id="recommended"'):html.index('id="completed"')]
    first = path.index("<li>")
    assert path.index("Promosi Koleksi di Media Sosial") > first
    assert path.index("Promosi Koleksi di Media Sosial") < path.index("</li>", first)
    assert "Dipilih karena kesenjangan Anda pada Promosi koleksi di media sosial (penting 5, mampu 1)" in path


def test_supervisor_home_with_an_open_round_for_the_library(demo, client):
    """A round scoped to the library and a branch head's own units meet in one query."""
    library = db.session.scalar(select(Unit).where(Unit.code == "pkp"))
    surveys = {s.kind: s for s in db.session.scalars(select(Survey))}
    today = local_today()
    db.session.add(NeedsRound(title="Putaran 2027", opens_on=today, closes_on=today + timedelta(days=14),
                              self_survey_id=surveys[SELF].id, supervisor_survey_id=surveys[SUPERVISOR].id,
                              units=[library]))
    db.session.commit()
    login(client, "citra", "pembina-demo")
    response = client.get("/")
    assert response.status_code == 200
    assert "0 dari 5 pegawai sudah dinilai" in response.get_data(as_text=True)  # her five librarians
