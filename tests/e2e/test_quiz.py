"""Browser journey: a librarian takes a quiz, leaves midway, resumes, submits, sees feedback."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_courses import with_courses  # noqa: F401 - fixture
from tests.e2e.test_journeys import sign_in

pytestmark = pytest.mark.e2e


def test_take_a_quiz_leave_resume_and_submit(page: Page, with_courses, live_url, demo_password):  # noqa: F811
    sign_in(page, live_url, "ani", demo_password)
    page.goto(f"{live_url}/courses/contoh/marc/latihan")
    page.get_by_role("link", name=re.compile("Ke kuis|Go to the quiz")).click()
    source_before = None
    page.locator("form[action$='/start'] button").click()
    expect(page.locator("h1")).to_contain_text(re.compile("Percobaan 1|Attempt 1"))
    source_before = page.content()
    for secret in ("100 adalah tajuk nama orang.", "245 = Title Statement.", "R.D.A.", '"correct"'):
        assert secret not in source_before

    question = page.locator("fieldset.question", has_text="Ruas mana yang memuat judul?")
    question.get_by_label("245").check()
    page.locator("fieldset.question", has_text="Singkatan Resource").locator("input[type=text]").fill("rda")
    expect(page.locator("#save-status")).to_contain_text(re.compile("Tersimpan|Saved"))

    # the tab is closed midway; later she comes back through the quiz page
    page.goto(f"{live_url}/")
    page.goto(f"{live_url}/quiz/contoh/marc/")
    page.locator("form[action$='/start'] button").click()
    question = page.locator("fieldset.question", has_text="Ruas mana yang memuat judul?")
    expect(question.get_by_label("245")).to_be_checked()
    expect(page.locator("fieldset.question", has_text="Singkatan Resource").locator("input[type=text]")) \
        .to_have_value("rda")

    page.locator("fieldset.question", has_text="RDA menggantikan AACR2").get_by_label(re.compile("Benar|True")) \
        .check()
    multi = page.locator("fieldset.question", has_text="ruas subjek")
    multi.get_by_label("650").check()
    multi.get_by_label("651").check()
    page.locator("#submit-button").click()
    expect(page.locator("#result .score")).to_have_text("100.0%")
    expect(page.locator("body")).to_contain_text("245 = Title Statement.")
