"""Browser journey: on a 360 px phone a librarian writes a MARC record in the textarea (with
the insert buttons and the live hint), submits, and reads the per-field feedback; without
JavaScript the same textarea works, and a record with unreadable lines comes back with
line-numbered messages and the text as typed.

``SHOTS_DIR=/some/dir`` also saves screenshots of the quiz and result pages at 360 and 1280 px."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.extensions import db
from lms.plugins.courses.services import import_courses
from tests.e2e.test_journeys import sign_in, submit_login

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "marc_courses"
FIRST_LINES = """=LDR  00000nam a2200000 a 4500
=020  ##$a9786020000000
=100  1#$aRahman, Abdul,$eauthor.
=245  12$aJudul :$cAbdul Rahman.
=650  #4$aKalimantan Tengah."""


@pytest.fixture
def with_marc_course(live_app):
    with live_app.app_context():
        report = import_courses([FIXTURE])
        assert report.ok, report.problems
        db.session.remove()


def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical findings (as tests/e2e/test_every_page.py counts them)."""
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['id']}: {' '.join(v['nodes'][0]['target'])}" for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways: {width}px"


@pytest.mark.parametrize("width", [360, 1280])
def test_a_librarian_writes_a_marc_record_and_reads_per_field_feedback(page: Page, with_marc_course, live_url,
                                                                     demo_password, width):
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, live_url, "ani", demo_password)
    page.goto(f"{live_url}/quiz/praktik/buku-lokal/")
    page.locator("form[action$='/start'] button").click()
    area = page.locator("textarea.marc-input")
    expect(area).to_be_visible()
    box = area.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    no_sideways_scroll(page)

    area.fill(FIRST_LINES)
    area.press("End")
    page.get_by_role("button", name="Ruas baru").click()  # the helper starts a new line with =
    area.press_sequentially("650  ")
    page.get_by_role("button", name="# kosong").click()
    area.press_sequentially("4")
    page.get_by_role("button", name="$ subruas").click()
    area.press_sequentially("asejarah")
    expect(page.locator(".marc-hint")).to_contain_text("650 Entri tambahan subjek - istilah topikal")
    expect(page.locator(".marc-hint")).to_contain_text("indikator # 4")
    expect(area).to_have_value(FIRST_LINES + "\n=650  #4$asejarah")
    assert accessibility_problems(page) == []
    page.locator("fieldset.question", has_text="Ruas mana yang memuat judul?").get_by_label("245").check()
    shoot(page, f"quiz-{width}.png")

    page.locator("#submit-button").click()
    expect(page.locator("#result .score")).to_have_text("93,3%")  # (5 × 23/25 + 1) / 6
    review = page.locator("article.question-review", has_text="Tulis rekaman MARC")
    expect(review.locator(".given .marc-record")).to_contain_text("=650  #4$asejarah")
    expect(review).to_contain_text("245: ind2 salah (Anda menulis 2); $b tidak ada.")
    expect(review).to_contain_text("245 ind2 menghitung karakter yang diabaikan saat pengurutan.")
    expect(review).to_contain_text("650 (1) benar.")
    expect(review.locator(".answer .marc-record")).to_contain_text("=245  10$aJudul :$bsub judul /$cAbdul Rahman.")
    no_sideways_scroll(page)
    assert accessibility_problems(page) == []
    shoot(page, f"result-{width}.png")


def test_without_javascript_the_textarea_works_and_unreadable_lines_come_back(browser, with_marc_course, live_url,
                                                                              demo_password):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        submit_login(page, live_url, "ani", demo_password)
        page.goto(f"{live_url}/quiz/praktik/buku-lokal/")
        page.locator("form[action$='/start'] button").click()
        expect(page.locator(".marc-toolbar")).to_have_count(0)  # the helper is JavaScript's alone
        typed = FIRST_LINES + "\n650  #4$aSejarah.\n=65O  #4$aKalimantan."
        page.locator("textarea.marc-input").fill(typed)
        page.locator("#submit-button").click()
        question = page.locator("fieldset.question", has_text="Tulis rekaman MARC")
        expect(question.locator(".errors")).to_contain_text("Baris 6: ruas diawali = dan tagnya")
        expect(question.locator(".errors")).to_contain_text(re.compile("Baris 7: “65O” bukan tag MARC"))
        expect(page.locator("textarea.marc-input")).to_have_value(typed)
        shoot(page, "refused-360-nojs.png")
    finally:
        context.close()
