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
    expect(page.locator("#result .score")).to_have_text("100,0%")
    expect(page.locator("body")).to_contain_text("245 = Title Statement.")


def test_complete_a_course_and_verify_the_certificate(page: Page, browser, with_courses, live_url,  # noqa: F811
                                                      demo_password):
    """The whole path: lessons, both quizzes, course completion, certificate, public check."""
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

    page.goto(f"{live_url}/courses/contoh/ddc/sepuluh-kelas-utama")
    page.get_by_role("link", name=re.compile("Ke kuis|Go to the quiz")).click()
    page.locator("form[action$='/start'] button").click()
    page.locator("fieldset.question", has_text="Nomor kelas utama").locator("input[type=text]").fill("900")
    matching = page.locator("fieldset.question", has_text="Jodohkan kelas")
    matching.get_by_label("000").select_option(label="Karya umum")
    matching.get_by_label("900").select_option(label="Sejarah dan geografi")
    ordering = page.locator("fieldset.question", has_text="Urutkan dari kecil")
    for item, position in (("000", "1"), ("300", "2"), ("900", "3")):
        ordering.get_by_label(item, exact=True).select_option(position)
    page.locator("#submit-button").click()
    expect(page.locator("#result .score")).to_have_text("100,0%")

    page.goto(f"{live_url}/courses/contoh/")
    expect(page.locator("#course-complete")).to_be_visible()
    page.locator("#course-complete a").click()
    expect(page.locator("body")).to_contain_text("Ani Rahmawati")
    code = page.locator("code").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{10}", code)

    anonymous = browser.new_context()
    visitor = anonymous.new_page()
    visitor.goto(f"{live_url}/verify/{code}")
    expect(visitor.locator("body")).to_contain_text("Ani Rahmawati")
    expect(visitor.locator("body")).to_contain_text("Kursus Contoh")
    expect(visitor.locator("body")).not_to_contain_text("ani@")  # no e-mail, no username
    response = visitor.goto(f"{live_url}/verify/AAAAAAAAAA")
    assert response.status == 404
    anonymous.close()
