"""Browser journey, post-training evaluation (Kirkpatrick level 3): ani completes the MARC
module, time moves on 90 days, her evaluation opens, she answers it on a 360 px phone,
citra (her supervisor) observes her, and the competency's traceability page and the impact
page show the new level."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from lms.auth.models import Unit, User
from lms.core.demo import HOME_LIBRARY
from lms.extensions import db
from lms.plugins.courses.models import Competency
from lms.plugins.courses.services import import_courses
from lms.plugins.evaluations import services
from lms.clock import local_today
from lms.plugins.needs.models import SELF, NeedsRound, StaffAnswer, StaffResponse, Survey
from tests.e2e.test_journeys import reveal, sign_in, sign_out

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "courses"
SHOTS = Path("/tmp/shots/evaluations")
MARC = [{"id": "Mengisi indikator ruas 245 sesuai kata sandang awal", "en": "Sets the 245 indicators for the initial article"},
        {"id": "Memakai subruas yang tepat", "en": "Uses the right subfields"},
        {"id": "Memeriksa ruas kendali 008", "en": "Checks the 008 fixed field"}]


@pytest.fixture
def rounds(live_app):
    """The sample course with behaviour indicators on cat-marc; two needs rounds with
    self-assessments (one closed long ago, one closing today); citra and budi read English."""
    with live_app.app_context():
        assert import_courses([FIXTURE]).ok
        db.session.get(Competency, "cat-marc").indicators = MARC
        db.session.execute(update(User).where(User.username.in_(["citra", "budi"])).values(locale="en"))
        survey = Survey(slug="diri-uji", kind=SELF, title_id="Penilaian diri", title_en="Self-assessment",
                        source_hash="0" * 64)
        today = local_today()
        made = []
        home = db.session.scalar(select(Unit.id).where(Unit.code == HOME_LIBRARY))  # ani's library's rounds
        for title, opens, closes in (("Putaran lalu", 130, 100), ("Putaran kini", 10, 0)):
            needs_round = NeedsRound(title=title, opens_on=today - timedelta(days=opens),
                                     closes_on=today - timedelta(days=closes), self_survey=survey,
                                     organisation_id=home)
            db.session.add(needs_round)
            db.session.flush()
            for username in ("ani", "eko"):
                user = db.session.scalar(select(User).where(User.username == username))
                response = StaffResponse(round_id=needs_round.id, survey_id=survey.id, kind=SELF, subject_id=user.id,
                                         rater_id=user.id, unit_id=user.unit_id, position=user.position)
                response.answers = [StaffAnswer(competency_id="cat-marc", importance=5, ability=3)]
                db.session.add(response)
            made.append(needs_round.id)
        db.session.commit()
        db.session.remove()
    live_app.config["NEEDS_MIN_GROUP"] = 1  # one observed person: the journey shows her figures
    return made


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_ani_answers_citra_observes_and_the_needs_pages_show_level_3(page: Page, rounds, live_app, live_url,
                                                                     demo_password, monkeypatch):
    before, after = rounds
    # ani completes the MARC module: both lessons, the quiz passed
    sign_in(page, live_url, "ani", demo_password)
    for lesson in ("ruas-dan-indikator", "latihan"):
        page.goto(f"{live_url}/courses/contoh/marc/{lesson}")
    page.goto(f"{live_url}/quiz/contoh/marc/")
    page.locator("form[action$='/start'] button").click()
    page.locator("fieldset.question", has_text="Ruas mana yang memuat judul?").get_by_label("245").check()
    multi = page.locator("fieldset.question", has_text="ruas subjek")
    multi.get_by_label("650").check()
    multi.get_by_label("651").check()
    page.locator("fieldset.question", has_text="RDA menggantikan AACR2").get_by_label(re.compile("Benar|True")).check()
    page.locator("fieldset.question", has_text="Singkatan Resource").locator("input[type=text]").fill("RDA")
    page.locator("#submit-button").click()
    expect(page.locator("#result .score")).to_have_text("100,0%")

    # 90 days on, the daily `lms evaluations open` runs
    with live_app.app_context():
        day = local_today() + timedelta(days=90)
    monkeypatch.setattr(services, "today", lambda: day)
    result = live_app.test_cli_runner().invoke(args=["evaluations", "open", "--today", day.isoformat()])
    assert result.exit_code == 0 and "1" in result.output, result.output

    # she answers on her phone
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto(f"{live_url}/")
    expect(page.locator("body")).to_contain_text(re.compile("Evaluasi penerapan hasil pelatihan Anda"))
    page.goto(f"{live_url}/evaluations/")
    _shoot(page, "journey-mine-360")
    page.locator("#windows a.button").first.click()
    expect(page.locator("h1")).to_contain_text("Format MARC 21")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for index, label in ((0, "Sering"), (1, "Kadang-kadang"), (2, "Sering")):
        page.locator(f"#indicator-{index}").get_by_text(label, exact=True).click()
    page.get_by_label(re.compile("Contoh")).fill("Saya memeriksa indikator 245 pada 40 cantuman baru.")
    page.get_by_label("Terlalu banyak pekerjaan lain, tidak ada waktu").check()
    _shoot(page, "journey-answer-360")
    page.get_by_role("button", name="Kirim jawaban saya").click()
    expect(page.locator("#windows")).to_contain_text(re.compile("Anda menjawab pada"))
    sign_out(page)

    # citra observes her
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_url, "citra", demo_password)
    reveal(page, "nav.main-nav a[href='/evaluations/observe']").click()
    expect(page.locator("#queue")).to_contain_text("Ani Rahmawati")
    _shoot(page, "journey-queue-1280")
    page.locator("#queue a", has_text="Observe").click()
    for index, label in ((0, "Sometimes"), (1, "Never"), (2, "Sometimes")):
        page.locator(f"#indicator-{index}").get_by_text(label, exact=True).click()
    page.get_by_label(re.compile("Note")).fill("Indikator 245 sering salah pada judul berkata sandang.")
    _shoot(page, "journey-observe-1280")
    page.get_by_role("button", name="Save the observation").click()
    expect(page.locator("#queue")).to_contain_text("recorded")
    sign_out(page)

    # the trainer reads the traceability page of the round closing today, and the impact
    sign_in(page, live_url, "budi", demo_password)
    page.goto(f"{live_url}/needs/analysis/{after}/competency/cat-marc")
    source = page.locator("#source-application")
    expect(source).to_contain_text(re.compile("3"))
    expect(page.locator("#steps")).to_contain_text("mean = Σ rating / n = 5 / 3 = 1.667")
    expect(page.locator("#steps")).to_contain_text("need = (4 − 1.667) / 3 = 0.778")
    _shoot(page, "journey-traceability-1280")
    page.goto(f"{live_url}/needs/analysis/impact?from={before}&to={after}")
    row = page.locator("#levels tr[data-competency='cat-marc']")
    expect(row.locator("[data-level='3']")).to_contain_text(re.compile(r"— → 1[,.]67"))
    _shoot(page, "journey-impact-1280")

