"""Browser journey: a supervisor proposes a curriculum from a closed needs round, reads the
diff and its reasons, approves it, and the librarian finds the assignment on My learning."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from lms.auth.models import Unit, User
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.courses.services import import_courses
from lms.plugins.needs.models import SELF, NeedsRound, StaffAnswer, StaffResponse, Survey
from tests.e2e.test_journeys import reveal, sign_in, sign_out

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
# (username, {competency: (importance, ability)}) - cat-classification has the largest gap
ANSWERS = [("ani", {"cat-marc": (4, 3), "cat-classification": (5, 1)}),
           ("eko", {"cat-marc": (3, 3), "cat-classification": (5, 2)})]


@pytest.fixture
def closed_round(live_app):
    """The sample course, and a round for Jekan Raya (citra's branch) that closed yesterday
    with two self-assessments; citra and ani read English."""
    with live_app.app_context():
        assert import_courses([FIXTURE]).ok
        db.session.execute(update(User).where(User.username.in_(["citra", "ani"])).values(locale="en"))
        survey = Survey(slug="diri-uji", kind=SELF, title_id="Penilaian diri", title_en="Self-assessment",
                        source_hash="0" * 64)
        branch = db.session.scalar(select(Unit).where(Unit.code == "cabang-jekan-raya"))
        today = local_today()
        needs_round = NeedsRound(title="Putaran Jekan Raya", opens_on=today - timedelta(days=20),
                                 closes_on=today - timedelta(days=1), self_survey=survey, units=[branch])
        db.session.add(needs_round)
        db.session.flush()
        for username, answers in ANSWERS:
            user = db.session.scalar(select(User).where(User.username == username))
            response = StaffResponse(round_id=needs_round.id, survey_id=survey.id, kind=SELF, subject_id=user.id,
                                     rater_id=user.id, unit_id=user.unit_id, position=user.position)
            response.answers = [StaffAnswer(competency_id=cid, importance=i, ability=a)
                                for cid, (i, a) in answers.items()]
            db.session.add(response)
        db.session.commit()
        db.session.remove()


def test_supervisor_approves_a_proposal_and_the_librarian_sees_it(page: Page, closed_round, live_url,
                                                                  demo_password):
    sign_in(page, live_url, "citra", demo_password)
    reveal(page, "nav.main-nav a[href='/curriculum/']").click()
    expect(page.locator("h1")).to_have_text("Curriculum")
    page.locator("#propose").click()

    expect(page).to_have_url(re.compile(r"/curriculum/\d+$"))
    added = page.locator("#changes .change-added")
    expect(added).to_have_count(2)
    expect(page.locator("#changes")).to_contain_text("DDC classification: priority #1")
    expect(page.locator("#changes")).to_contain_text("Putaran Jekan Raya")
    page.locator("#approve").click()

    expect(page).to_have_url(f"{live_url}/curriculum/")
    expect(page.locator("#active-curriculum")).to_contain_text("Active curriculum: version 1")
    expect(page.locator("#active-curriculum")).to_contain_text("Citra Lestari")
    sign_out(page)

    sign_in(page, live_url, "ani", demo_password)
    page.goto(f"{live_url}/learning/")
    assigned = page.locator("#assigned")
    expect(assigned.locator("a[href='/courses/contoh/ddc/']")).to_have_count(1)
    expect(assigned).to_contain_text("assigned to your unit")
