"""Browser journeys for courses: reading on a phone, and a trainer publishing an edit."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.courses.services import import_courses
from tests.e2e.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "courses"


@pytest.fixture
def with_courses(live_app):
    with live_app.app_context():
        report = import_courses([FIXTURE])
        assert report.ok, report.problems
        db.session.remove()


@pytest.fixture
def english_trainer(live_app):
    """budi reads English: these journeys assert the English problem messages (the
    Indonesian ones are checked in tests/courses/test_messages_i18n.py)."""
    with live_app.app_context():
        db.session.execute(update(User).where(User.username == "budi").values(locale="en"))
        db.session.commit()
        db.session.remove()


def test_librarian_reads_a_lesson_on_a_phone(page: Page, with_courses, live_url, demo_password):
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, live_url, "ani", demo_password)
    page.locator("#panel-courses a", has_text="Kursus Contoh").click()
    expect(page.locator("h1")).to_have_text("Kursus Contoh")
    page.locator("a[href='/courses/contoh/marc/']").click()
    page.get_by_role("link", name=re.compile("Mulai pelajaran pertama|Start the first lesson")).click()
    expect(page.locator("article.lesson h1")).to_have_text("Ruas dan indikator")
    expect(page.locator(".prose table")).to_be_visible()
    expect(page.locator(".prose .admonition.tip")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator("a[rel=next]").click()
    expect(page.locator("article.lesson h1")).to_have_text("Latihan")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_trainer_edits_previews_and_publishes(page: Page, browser, with_courses, english_trainer, live_url,
                                             demo_password):
    # ani has a quiz attempt open on version 1 before the trainer publishes version 2
    reader = browser.new_page()
    sign_in(reader, live_url, "ani", demo_password)
    reader.goto(f"{live_url}/quiz/contoh/marc/")
    reader.locator("form[action$='/start'] button").click()
    attempt_url = reader.url
    expect(reader.locator("body")).to_contain_text("Ruas mana yang memuat judul?")

    sign_in(page, live_url, "budi", demo_password)
    page.goto(f"{live_url}/authoring/")
    page.locator("a[href='/authoring/contoh/marc/edit']").click()
    source = page.locator("textarea#source")
    original = source.input_value()

    # a mistake shows up in the live preview's problem list, with its line
    source.fill(original.replace("- [x] 245", "- [ ] 245"))
    expect(page.locator("#problems li").first).to_contain_text(re.compile("no correct answer"))
    # fixed, with new text: the preview shows it, rendered by the server
    source.fill(original.replace("Ruas **245** memuat judul.", "Ruas **245** memuat pernyataan judul.")
                .replace("Ruas mana yang memuat judul?", "Ruas mana yang memuat pernyataan judul?"))
    expect(page.locator("#preview")).to_contain_text("memuat pernyataan judul.")
    expect(page.locator("#problems li")).to_have_count(0)
    page.locator("button[value=publish]").click()
    expect(page).to_have_url(f"{live_url}/authoring/contoh/marc/versions")
    expect(page.locator("table")).to_contain_text("v2")
    sign_out(page)

    reader.goto(f"{live_url}/courses/contoh/marc/ruas-dan-indikator")
    expect(reader.locator(".prose")).to_contain_text("memuat pernyataan judul.")  # the new version
    reader.goto(attempt_url)  # her open attempt keeps its own (version 1) questions
    expect(reader.locator("body")).to_contain_text("Ruas mana yang memuat judul?")
    expect(reader.locator("body")).not_to_contain_text("memuat pernyataan judul?")
    reader.close()


def test_editor_works_without_javascript(browser, with_courses, english_trainer, live_url, demo_password):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, live_url, "budi", demo_password)
    page.goto(f"{live_url}/authoring/contoh/ddc/edit")
    source = page.locator("textarea#source")
    source.fill(source.input_value().replace("= 900 ± 0", "= sembilan ratus"))
    page.locator("button[value=preview]").click()
    expect(page.locator("#problems li").first).to_contain_text("not a number")
    context.close()
