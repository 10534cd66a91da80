"""Browser journey on a phone (360 px): a librarian answers 4 of 8 questions, is told which are
blank, submits anyway, sees her own answers beside each question and a button to try again.

``SHOTS_DIR=/some/folder`` saves screenshots of each step at 360 and 1280 px for a look by eye.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.extensions import db
from lms.plugins.courses.services import import_courses
from tests.e2e.test_journeys import sign_in

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
QUIZ = "/quiz/layanan-pelanggan/wawancara-referensi/"  # eight questions of six types


@pytest.fixture
def real_courses(live_app):
    with live_app.app_context():
        assert import_courses([ROOT / "courses"]).ok
        db.session.remove()


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})


def _no_sideways_scroll(page: Page) -> None:
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => !e.closest('header, nav') && e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), wide


def test_answer_four_of_eight_submit_anyway_and_see_own_answers(page: Page, real_courses, live_url, demo_password):
    page.set_viewport_size({"width": 360, "height": 800})
    sign_in(page, live_url, "ani", demo_password)
    page.goto(live_url + QUIZ)
    page.locator("form[action$='/start'] button").click()
    expect(page.locator("fieldset.question")).to_have_count(8)

    radios = page.locator("fieldset.question", has=page.locator("input[type=radio]"))
    expect(radios).to_have_count(4)  # three single choices and a true/false
    for index in range(4):
        radios.nth(index).locator("input[type=radio]").first.check()
    page.locator("#submit-button").click()

    warning = page.locator("#unanswered")
    expect(warning).to_contain_text("4 dari 8 pertanyaan belum dijawab")
    expect(warning.locator("a[href^='#question-']")).to_have_count(4)
    expect(page.locator("fieldset.question.unanswered")).to_have_count(4)
    for index in range(4):  # nothing lost
        expect(radios.nth(index).locator("input[type=radio]").first).to_be_checked()
    _shot(page, "quiz-unanswered")
    _no_sideways_scroll(page)

    page.locator("#submit-anyway").click()
    expect(page).to_have_url(re.compile(r"/review$"))
    expect(page.locator("#result .score")).to_contain_text("%")
    expect(page.locator("p.given")).to_have_count(8)
    expect(page.locator("p.given", has_text="tidak dijawab")).to_have_count(4)
    retry = page.locator("#retry button")
    expect(retry).to_have_text("Coba lagi")
    _no_sideways_scroll(page)
    _shot(page, "quiz-result")

    retry.click()
    expect(page.locator("h1")).to_contain_text("Percobaan 2")
