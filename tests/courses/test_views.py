"""Learner pages: catalogue with filters and search, course, module and lesson pages, files."""
from __future__ import annotations

import re

import pytest


@pytest.fixture
def reader(client_as, imported):
    return client_as("librarian")


def test_catalogue_lists_the_course_with_its_facts(reader):
    page = reader.get("/courses/").get_data(as_text=True)
    assert 'href="/courses/contoh/"' in page and "Kursus Contoh" in page
    assert "2 JP" in page and "1 jam 15 menit" in page  # 30 + 45 minutes


@pytest.mark.parametrize("query,shown", [
    ("?topic=cataloguing", True), ("?topic=customer-service", False),
    ("?competency=cat-classification", True), ("?competency=cs-reference-interview", False),
    ("?q=contoh", True), ("?q=SAMPLE", True), ("?q=tidak-ada", False), ("?q=%25", False),
])
def test_catalogue_filters(reader, query, shown):
    page = reader.get("/courses/" + query).get_data(as_text=True)
    assert ('href="/courses/contoh/"' in page) is shown


def test_catalogue_follows_the_language(reader):
    from tests.conftest import post_form

    post_form(reader, "/language", {"lang": "en", "next": "/courses/"}, token_from="/courses/")
    page = reader.get("/courses/").get_data(as_text=True)
    assert "Sample Course" in page and "A small course for the tests." in page


def test_course_page_lists_modules_and_competencies(reader):
    page = reader.get("/courses/contoh/").get_data(as_text=True)
    assert page.index('href="/courses/contoh/marc/"') < page.index('href="/courses/contoh/ddc/"')
    assert "Format MARC 21" in page and "Pengantar kursus <strong>contoh</strong>" in page
    assert 'href="/courses/contoh/marc/"' in page


def test_module_page_shows_objectives_and_lessons_but_no_answer_key(reader):
    page = reader.get("/courses/contoh/marc/").get_data(as_text=True)
    assert "Menyebut ruas utama MARC 21." in page
    assert 'href="/courses/contoh/marc/ruas-dan-indikator"' in page and 'href="/courses/contoh/marc/latihan"' in page
    assert "4 soal" in page  # "Modul ini diakhiri kuis berisi 4 soal."
    # nothing of the quiz's answers or feedback reaches the page before an attempt
    for secret in ("Benar.", "100 adalah tajuk nama orang.", "Title Statement", "R.D.A.", "correct"):
        assert secret not in page


def test_lesson_page_has_toc_and_previous_next(reader):
    first = reader.get("/courses/contoh/marc/ruas-dan-indikator").get_data(as_text=True)
    assert 'href="/courses/contoh/marc/latihan"' in first and 'rel="next"' in first and 'rel="prev"' not in first
    assert "Pelajaran 1 dari 2" in first
    second = reader.get("/courses/contoh/marc/latihan").get_data(as_text=True)
    assert 'rel="prev"' in second and 'href="/courses/contoh/marc/ruas-dan-indikator"' in second
    assert 'href="/courses/contoh/marc/"' in second  # back to the module at the end
    assert re.search(r'<img[^>]+src="/courses/contoh/files/gambar/titik.png"[^>]*loading="lazy"', first)


def test_lesson_pages_are_small_and_script_free(reader):
    response = reader.get("/courses/contoh/marc/ruas-dan-indikator")
    assert len(response.data) < 30_000
    assert "<script" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/courses/nope/", "/courses/contoh/nope/", "/courses/contoh/marc/nope",
                                 "/courses/contoh/files/nope.png", "/courses/contoh/files/01-marc.md"])
def test_unknown_pages_are_404(reader, url):
    assert reader.get(url).status_code == 404


def test_course_files_are_served_with_safe_headers(reader):
    image = reader.get("/courses/contoh/files/gambar/titik.png")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    csv = reader.get("/courses/contoh/files/contoh.csv")
    assert csv.status_code == 200 and csv.headers["Content-Disposition"].startswith("attachment")


def test_course_pages_need_a_signed_in_user(client, imported):
    for url in ("/courses/", "/courses/contoh/", "/courses/contoh/marc/ruas-dan-indikator",
                "/courses/contoh/files/gambar/titik.png"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_courses_nav_entry(reader):
    assert 'href="/courses/"' in reader.get("/").get_data(as_text=True)
