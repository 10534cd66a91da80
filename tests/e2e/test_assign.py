"""Browser journey: supervisor citra assigns a module to librarian ani with a due date; ani
signs in, sees the unread badge, reads the notification and finds the assignment under
"Assigned to me" on My learning."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from lms.auth.models import User
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.courses.models import Module
from lms.plugins.courses.services import import_courses
from lms.plugins.learning.models import Assignment
from tests.e2e.test_journeys import reveal, sign_in, sign_out

pytestmark = pytest.mark.e2e
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "courses"


@pytest.fixture
def course(live_app):
    """The sample course imported; citra and ani read English. Returns what the test needs."""
    with live_app.app_context():
        assert import_courses([FIXTURE]).ok
        db.session.execute(update(User).where(User.username.in_(["citra", "ani"])).values(locale="en"))
        db.session.commit()
        marc = db.session.scalar(select(Module).where(Module.slug == "marc"))
        ani = db.session.scalar(select(User).where(User.username == "ani"))
        found = {"module_id": marc.id, "title": marc.current_version.title_en, "ani_id": ani.id,
                 "due": local_today() + timedelta(days=14)}
        db.session.remove()
    return found


def test_supervisor_assigns_a_module_and_the_librarian_is_told(page: Page, live_app, course, live_url,
                                                              demo_password):
    sign_in(page, live_url, "citra", demo_password)
    reveal(page, "nav.main-nav a[href='/assignments/']").click()
    expect(page.locator("h1")).to_have_text("Assignments")
    page.locator("#new-assignment").click()
    expect(page).to_have_url(f"{live_url}/assignments/new")
    page.locator("#subject").select_option(f"module:{course['module_id']}")
    page.locator("#target").select_option(f"user:{course['ani_id']}")
    page.locator("#due_on").fill(course["due"].isoformat())
    page.locator("#save-assignment").click()

    expect(page).to_have_url(f"{live_url}/assignments/")
    row = page.locator("#assignments tbody tr").first
    expect(row).to_contain_text(course["title"])
    expect(row).to_contain_text("Ani Rahmawati")
    expect(row.locator(".progress")).to_have_text("0 of 1")
    with live_app.app_context():
        made = db.session.scalars(select(Assignment)).all()
        assert [(a.module_id, a.user_id, a.due_on) for a in made] == [
            (course["module_id"], course["ani_id"], course["due"])]
        db.session.remove()
    sign_out(page)

    sign_in(page, live_url, "ani", demo_password)
    link = reveal(page, "header a.notifications-link")
    expect(link.locator(".badge")).to_have_text("1")
    expect(link).to_contain_text("1 unread notification")
    link.click()
    expect(page.locator("h1")).to_have_text("Notifications")
    item = page.locator("#notifications li").first
    expect(item).to_contain_text(f"New assignment: {course['title']}, due ")
    page.locator("#mark-all-read").click()
    expect(page.locator("header a.notifications-link .badge")).to_have_count(0)

    reveal(page, "nav.main-nav a[href='/learning/']").click()
    assigned = page.locator("#assigned")
    expect(assigned).to_contain_text(course["title"])
    expect(assigned).to_contain_text("assigned to you")
    expect(assigned).to_contain_text(re.compile(r"To do"))
