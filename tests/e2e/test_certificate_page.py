"""Browser check: the certificate page keeps long names and titles inside its frame on a
phone (360 px) and a desktop (1280 px), and shows the QR code of the verification page."""
from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from lms.auth.models import User
from lms.extensions import db
from lms.plugins.courses.models import Course
from lms.plugins.learning.models import CourseCompletion
from lms.plugins.learning.services import issue_certificate
from tests.e2e.test_courses import with_courses  # noqa: F401 - fixture
from tests.e2e.test_journeys import sign_in
from tests.learning.test_certificate_pdf import LETTERS, NAME_120, TITLE_200

pytestmark = pytest.mark.e2e

# Every element of the certificate whose right edge passes the frame's inner edge.
OVERFLOWING = """() => {
  const frame = document.querySelector('#certificate').getBoundingClientRect();
  const out = [];
  for (const el of document.querySelectorAll('#certificate *')) {
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > frame.right + 0.5 || box.left < frame.left - 0.5)) out.push(el.tagName + '.' + el.className);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible') out.push('scroll:' + el.tagName);
  }
  if (document.documentElement.scrollWidth > window.innerWidth) out.push('page scrolls sideways');
  return out;
}"""


def long_certificate(app, name: str, title: str) -> str:
    """ani's certificate for the sample course, issued with ``name`` and ``title``; its code."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ani"))
        course = db.session.scalar(select(Course).where(Course.slug == "contoh"))
        completion = CourseCompletion(user_id=user.id, course_id=course.id, jp=course.jp)
        db.session.add(completion)
        db.session.commit()
        certificate = issue_certificate(completion)
        certificate.full_name, certificate.course_title_id, certificate.course_title_en = name, title, title
        db.session.commit()
        code = certificate.code
        db.session.remove()
    return code


@pytest.mark.parametrize("width", [360, 1280])
@pytest.mark.parametrize(("name", "title"), [
    pytest.param(NAME_120, TITLE_200, id="long"),
    pytest.param("W" * 150, LETTERS, id="unbroken"),
])
def test_long_texts_wrap_inside_the_certificate(page: Page, live_app, with_courses, live_url, demo_password,  # noqa: F811
                                                width, name, title):
    code = long_certificate(live_app, name, title)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_url, "ani", demo_password)
    page.goto(f"{live_url}/learning/certificates/{code}")
    expect(page.locator(".certificate-name")).to_have_text(name)
    expect(page.locator(".certificate-course")).to_have_text(title)
    assert page.evaluate(OVERFLOWING) == []
    qr = page.locator("img.certificate-qr")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    shots = os.environ.get("LMS_SHOTS_DIR")  # for a person looking at the layout; tests never need it
    if shots:
        page.screenshot(path=os.path.join(shots, f"certificate-{width}-{'long' if ' ' in name else 'unbroken'}.png"),
                        full_page=True)
