"""The discussions issue's "done when", in a real browser on the demo data: ani asks a
question under a module; trainer budi finds it in his unanswered list and answers; ani is
notified and marks it resolved. citra schedules a review meeting on her branch's board that
links the needs round; search finds it for her staff and not for another branch."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sqlalchemy import select

from lms.auth.models import Unit
from lms.core.demo import HOME_LIBRARY
from lms.extensions import db
from lms.plugins.needs.analysis import latest_closed_round
from tests.e2e.test_journeys import reveal, sign_in, sign_out

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Subruas 264 untuk penerbit lokal"


@pytest.fixture
def live_app(demo_live_app):
    """What ``make run`` seeds (a copy of the session's demo): this journey writes."""
    return demo_live_app


@pytest.fixture
def demo_data(live_app):
    """What ``make run`` seeds: the real courses, the instruments, every plugin's demo."""
    with live_app.app_context():
        # the first library's round: citra (a branch head there) links her meeting to it
        home = db.session.scalar(select(Unit.id).where(Unit.code == HOME_LIBRARY))
        found = {"round_id": latest_closed_round(organisation_id=home).id}
        db.session.remove()
    return found


def test_question_answered_resolved_and_a_meeting_linked_and_found(page: Page, demo_data, live_url,
                                                                    demo_password):
    # ani asks under the MARC21 module, from its page
    sign_in(page, live_url, "ani", demo_password)
    page.goto(f"{live_url}/courses/katalogisasi/marc21/")
    page.locator("#ask-link").click()
    page.locator("#ask-form [name=title]").fill(QUESTION)
    page.locator("#ask-form [name=body]").fill("Di mana mencatat nama penerbit lokal yang **tidak** tercantum?"
                                                "<script>alert(1)</script>")
    page.locator("#ask-submit").click()
    expect(page).to_have_url(re.compile(r"/discussions/thread/\d+"))
    thread_url = page.url.split("#")[0]
    expect(page.locator("h1")).to_contain_text(QUESTION)
    expect(page.locator("article strong").first).to_have_text("tidak")  # Markdown rendered
    expect(page.locator("article script")).to_have_count(0)  # and sanitised
    sign_out(page)

    # budi (an author of the cataloguing course) finds it in his unanswered list and answers
    sign_in(page, live_url, "budi", demo_password)
    page.goto(f"{live_url}/discussions/unanswered")
    waiting = page.locator("#unanswered-list")
    expect(waiting).to_contain_text(QUESTION)
    waiting.get_by_role("link", name=QUESTION).click()
    page.locator("#reply-form [name=body]").fill("Gunakan subruas $b dengan `[s.n.]` bila penerbit tidak diketahui.")
    page.locator("#reply-submit").click()
    expect(page.locator("article.post").nth(1)).to_contain_text("[s.n.]")
    page.goto(f"{live_url}/discussions/unanswered")
    expect(page.locator("body")).not_to_contain_text(QUESTION)
    sign_out(page)

    # ani is notified, follows the link and marks the question resolved
    sign_in(page, live_url, "ani", demo_password)
    expect(reveal(page, "header a.notifications-link").locator(".badge")).to_be_visible()
    page.locator("header a.notifications-link").click()
    page.locator("#notifications li").filter(has_text=QUESTION).first.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(re.escape(thread_url)))
    page.locator("#resolve").click()
    expect(page.locator("[data-status=resolved]").first).to_be_visible()
    expect(page.locator("#reopen")).to_be_visible()
    sign_out(page)

    # citra schedules a review meeting on her branch's board, linked to the needs round
    sign_in(page, live_url, "citra", demo_password)
    page.goto(f"{live_url}/discussions/")
    page.locator("#boards").get_by_role("link", name="Cabang Jekan Raya").click()
    page.locator("#new-meeting").click()
    form = page.locator("#meeting-form")
    form.locator("[name=title]").fill("Rapat tinjauan pembinaan cabang Desember")
    form.locator("[name=meeting_at]").fill("2026-12-15T09:00")
    form.locator("[name=place]").fill("Ruang baca anak")
    form.locator("[name=agenda]").fill("1. Hasil analisis kebutuhan cabang\n2. Rencana pendampingan media sosial")
    page.locator("select#link").select_option(f"needs_round:{demo_data['round_id']}")
    page.locator("#meeting-save").click()
    expect(page).to_have_url(re.compile(r"/discussions/thread/\d+"))
    meeting_url = page.url.split("#")[0]
    link = page.locator("#meeting-link")
    expect(link).to_have_attribute("data-kind", "needs_round")
    expect(link).to_have_attribute("data-ref", str(demo_data["round_id"]))
    link.click()
    expect(page).to_have_url(re.compile(rf"/needs/analysis/\?round={demo_data['round_id']}"))
    sign_out(page)

    # search: her staff find the meeting, another branch does not
    sign_in(page, live_url, "dewi", demo_password)
    page.goto(f"{live_url}/discussions/search?q=pendampingan+cabang")
    expect(page.locator("main")).to_contain_text("Rapat tinjauan pembinaan cabang Desember")
    sign_out(page)
    sign_in(page, live_url, "gusti", demo_password)
    page.goto(f"{live_url}/discussions/search?q=pendampingan+cabang")
    expect(page.locator("main")).not_to_contain_text("Rapat tinjauan pembinaan cabang Desember")
    assert page.goto(meeting_url).status == 404  # nor the thread itself
