"""The needs issue's "done when", in a real browser on the demo data: the head of the
library reads the analysis (ranked table and quadrant chart), proposes a curriculum that
differs from the current one with reasons, approves it; the assignments reach the
librarians' My learning, and ani's learning path starts with her weakest competency."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from lms.auth.models import User
from lms.extensions import db
from tests.e2e.test_journeys import reveal, sign_in, sign_out

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_app(demo_live_app):
    """What ``make run`` seeds (a copy of the session's demo): this journey writes."""
    return demo_live_app


@pytest.fixture
def demo_data(live_app):
    """The head of the library reads English."""
    with live_app.app_context():
        db.session.execute(update(User).where(User.username == "erlina").values(locale="en"))
        db.session.commit()
        db.session.remove()


def test_head_of_library_adapts_the_curriculum_and_ani_sees_her_path(page: Page, demo_data, live_url,
                                                                     demo_password):
    sign_in(page, live_url, "erlina", demo_password)
    reveal(page, "nav.main-nav a[href='/needs/']").click()
    page.get_by_role("link", name="Needs analysis").first.click()
    ranked = page.locator("#ranked tbody tr")
    expect(ranked).to_have_count(15)
    expect(ranked.first).to_contain_text("Promoting the collection on social media")
    expect(page.locator("svg.quadrant-chart")).to_be_visible()
    expect(page.locator("#quadrant-data")).to_contain_text("Training priority")

    reveal(page, "nav.main-nav a[href='/curriculum/']").click()
    expect(page.locator("#active-curriculum")).to_contain_text("version 1")
    page.locator("#propose").click()
    expect(page).to_have_url(re.compile(r"/curriculum/\d+$"))
    changes = page.locator("#changes")
    expect(changes.locator(".change-added").first).to_contain_text("Promosi Koleksi di Media Sosial")
    expect(changes).to_contain_text("Promoting the collection on social media: priority #1")
    expect(changes.locator(".change-removed").first).to_contain_text("No longer a priority")
    page.locator("#approve").click()

    expect(page).to_have_url(f"{live_url}/curriculum/")
    expect(page.locator("#active-curriculum")).to_contain_text("version 2")
    expect(page.locator("#active-curriculum")).to_contain_text("Erlina Simanjuntak")
    sign_out(page)

    sign_in(page, live_url, "ani", demo_password)
    page.goto(f"{live_url}/learning/")
    assigned = page.locator("#assigned")
    expect(assigned.locator("a[href='/courses/keterampilan-digital/promosi-koleksi-di-media-sosial/']")
           ).to_have_count(1)
    # assigned now, so listed once - under "Must do", with the learning path's reason
    expect(assigned).to_contain_text(
        "Dipilih karena kesenjangan Anda pada Promosi koleksi di media sosial (penting 5, mampu 1)")
    expect(page.locator("#recommended a[href='/courses/keterampilan-digital/promosi-koleksi-di-media-sosial/']")
           ).to_have_count(0)
