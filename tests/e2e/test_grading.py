"""Browser journey: a learner on a phone writes an essay and uploads a file, the trainer
grades it from the queue, the learner sees the levels and the feedback. Screenshots of each
screen at 360 and 1280 px go to /tmp/shots/essay-rubric/ (outside the repository)."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.extensions import db
from lms.plugins.courses.services import import_courses
from tests.conftest import COURSE_FIXTURES
from tests.e2e.test_journeys import sign_in
from tests.grading.conftest import COURSE, PNG, PRAKTIK

pytestmark = pytest.mark.e2e
SHOTS = Path("/tmp/shots/essay-rubric")
ESSAY = ("Judul: Sejarah Kalimantan Tengah / Tim Penulis. Penerbitan: Palangka Raya : Dinas Perpustakaan, 2020. "
         "Deskripsi fisik: xii, 240 halaman ; 24 cm.")


@pytest.fixture
def with_practical(live_app, tmp_path):
    root = tmp_path / "courses-src"
    shutil.copytree(COURSE_FIXTURES, root)
    folder = root / "praktik"
    folder.mkdir()
    (folder / "course.md").write_text(COURSE.replace("Tono Trainer", "Budi Santoso"), encoding="utf-8")
    (folder / "01-praktik.md").write_text(PRAKTIK, encoding="utf-8")
    with live_app.app_context():
        report = import_courses([root])
        assert report.ok, report.problems
        db.session.remove()


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def test_essay_from_learner_to_trainer_and_back(browser, with_practical, live_url, demo_password, tmp_path):
    learner = browser.new_page(viewport={"width": 360, "height": 740})
    sign_in(learner, live_url, "ani", demo_password)
    learner.goto(f"{live_url}/quiz/praktik/praktik/")
    learner.locator("form[action$='/start'] button").click()
    expect(learner.locator("h1")).to_contain_text("Percobaan 1")
    learner.locator("fieldset.question", has_text="Kalimantan Tengah?").locator("input[type=text]").fill("959,83")
    learner.locator("fieldset.question", has_text="Unsur inti?").get_by_label("Judul").check()
    essay = learner.locator("fieldset.question", has_text="Buat deskripsi RDA")
    essay.locator("textarea").fill(ESSAY)
    expect(essay.get_by_text("Tulis 3 sampai 400 kata.")).to_be_visible()
    photo = tmp_path / "lembar-kerja.png"
    photo.write_bytes(PNG)
    essay.locator("input[type=file]").set_input_files(str(photo))
    shot(learner, "1-essay-question")
    learner.set_viewport_size({"width": 360, "height": 740})
    essay.get_by_role("button", name="Unggah berkas").click()
    expect(learner.locator("body")).to_contain_text("Berkas sudah diunggah.")
    essay = learner.locator("fieldset.question", has_text="Buat deskripsi RDA")
    expect(essay.locator("textarea")).to_have_value(ESSAY)  # the text was saved with the upload
    learner.locator("#submit-button").click()
    expect(learner.locator("#result .score")).to_have_text("Menunggu penilaian")
    expect(learner.locator("body")).to_contain_text("Menunggu pelatih")
    shot(learner, "2-learner-awaiting")

    trainer = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(trainer, live_url, "budi", demo_password)
    expect(trainer.locator("body")).to_contain_text("Tugas praktik menunggu penilaian")
    trainer.goto(f"{live_url}/grading/")
    expect(trainer.locator("#grading-queue")).to_contain_text("Ani Rahmawati")
    shot(trainer, "3-queue")
    trainer.set_viewport_size({"width": 360, "height": 740})
    trainer.locator("#grading-queue").get_by_role("link", name="Nilai").click()
    expect(trainer.locator("#answer")).to_contain_text("Palangka Raya : Dinas Perpustakaan")
    expect(trainer.locator("#answer-file")).to_have_text("lembar-kerja.png")
    # keyboard: tab into the first criterion's radios and choose with the arrow keys
    trainer.locator("#criterion-0 input[value='0']").focus()
    trainer.keyboard.press("ArrowDown")
    trainer.keyboard.press("ArrowDown")
    expect(trainer.locator("#criterion-0 input[value='2']")).to_be_checked()
    trainer.locator("#criterion-1").get_by_text("Sebagian besar benar.").click()  # tap on a phone
    trainer.locator("#criterion-2").get_by_text("Sebagian.").click()
    trainer.locator("#feedback").fill("Unsur inti lengkap; tambahkan titik akses subjek.")
    shot(trainer, "4-grading-page")
    trainer.set_viewport_size({"width": 360, "height": 740})
    trainer.get_by_role("button", name="Simpan nilai").click()
    expect(trainer.locator("body")).to_contain_text("Nilai disimpan dan peserta diberi tahu.")
    expect(trainer.locator("body")).to_contain_text("Tidak ada yang menunggu penilaian.")

    learner.reload()
    # 2 + 1 + 1.5 of 6 rubric points = 4.5 of 6; with the 2 automatic points: 6.5 of 8 = 81.25 %
    expect(learner.locator("#result .score")).to_have_text(re.compile(r"81,[23]%"))  # the percent filter rounds
    graded = learner.locator(".essay-grade")
    expect(graded).to_contain_text("Nilai: 4,5 dari 6 poin")
    expect(graded).to_contain_text("Semua unsur inti ada.")
    expect(graded).to_contain_text("Unsur inti lengkap; tambahkan titik akses subjek.")
    expect(learner.locator("body")).to_contain_text("Bandingkan dengan contoh di pelajaran.")
    shot(learner, "5-learner-graded")
    assert re.search(r"lembar-kerja\.png", learner.content())
