"""The course page shows the learner's own progress per module and the certificate link."""
from __future__ import annotations

from tests.learning.conftest import complete_course, read, submit_marc


def _page(client) -> str:
    return client.get("/courses/contoh/").get_data(as_text=True)


def test_course_page_counts_lessons_read(learner):
    assert "0 of 2 lessons read" in _page(learner)
    read(learner, "marc", "ruas-dan-indikator")
    page = _page(learner)
    assert "1 of 2 lessons read" in page and "0 of 1 lesson read" in page
    assert 'id="course-complete"' not in page


def test_a_module_completes_after_lessons_and_a_passed_quiz(learner):
    read(learner, "marc")
    submit_marc(learner, right=True)
    page = _page(learner)
    marc = page[page.index('href="/courses/contoh/marc/"'):page.index('href="/courses/contoh/ddc/"')]
    assert 'class="tag done"' in marc


def test_a_completed_course_links_its_certificate(app, learner):
    certificate = complete_course(app, learner)
    page = _page(learner)
    assert 'id="course-complete"' in page and f'href="/learning/certificates/{certificate.code}"' in page


def test_other_learners_progress_is_not_shown(app, learner, make_user):
    from tests.conftest import login

    read(learner, "marc")
    make_user("other", locale="en")
    other = app.test_client()
    login(other, "other")
    assert "0 of 2 lessons read" in _page(other)
