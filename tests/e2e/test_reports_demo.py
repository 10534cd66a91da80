"""The reports issue's "done when", in a real browser on the demo data: citra sees her branch
and nobody else's, opens a librarian's profile, verifies an external training record,
assigns a module with a due date, downloads the dashboard as XLSX whose numbers match the
screen, and opens the printable annual report."""
from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update

from lms.auth.models import User
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from tests.e2e.test_journeys import reveal, sign_in

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BRANCH = {"Ani Rahmawati", "Bella Natalia", "Dewi Kartika Sari", "Eko Prasetyo", "Fitri Handayani"}


@pytest.fixture
def live_app(demo_live_app):
    """What ``make run`` seeds (a copy of the session's demo): this journey writes."""
    return demo_live_app


@pytest.fixture
def demo_data(live_app):
    """What ``make run`` seeds: the real courses, the instruments, every plugin's demo."""
    with live_app.app_context():
        db.session.execute(update(User).where(User.username == "citra").values(locale="en"))
        db.session.commit()
        module = db.session.scalar(select(Module).join(Course).where(
            Course.slug == "keterampilan-digital", Module.slug == "promosi-koleksi-di-media-sosial"))
        ani = db.session.scalar(select(User).where(User.username == "ani"))
        found = {"module_id": module.id, "title": module.current_version.title_en, "ani_id": ani.id,
                 "due": local_today() + timedelta(days=21), "year": local_today().year}
        db.session.remove()
    return found


def people_rows(page: Page) -> dict[str, list[str]]:
    rows = {}
    for row in page.locator("#table-people tbody tr").all():
        cells = [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        rows[cells[0]] = cells
    return rows


def test_citra_reviews_her_branch_and_accounts_for_it(page: Page, demo_data, live_url, demo_password):
    sign_in(page, live_url, "citra", demo_password)
    reveal(page, "nav.main-nav a[href='/reports/']").click()
    rows = people_rows(page)
    assert set(rows) == BRANCH  # her branch, nobody else's

    # a librarian's profile, then her external training waiting for verification
    page.get_by_role("link", name="Dewi Kartika Sari").click()
    expect(page).to_have_url(re.compile(r"/reports/people/\d+$"))
    expect(page.locator("main")).to_contain_text("Seminar Nasional Transformasi Perpustakaan Digital")
    page.get_by_role("link", name="Seminar Nasional Transformasi Perpustakaan Digital").click()
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("main")).to_contain_text("Verified")

    # assign a module to ani with a due date
    due = demo_data["due"]
    reveal(page, "nav.main-nav a[href='/assignments/']").click()
    page.locator("#new-assignment").click()
    page.locator("#subject").select_option(f"module:{demo_data['module_id']}")
    page.locator("#target").select_option(f"user:{demo_data['ani_id']}")
    page.locator("#due_on").fill(due.isoformat())
    page.locator("#save-assignment").click()
    expect(page.locator("#assignments tbody tr").first).to_contain_text(demo_data["title"])

    # the dashboard again: Dewi's verified 8 JP counts; the XLSX says the same as the screen
    reveal(page, "nav.main-nav a[href='/reports/']").click()
    rows = people_rows(page)
    with page.expect_download() as download_info:
        page.locator("a[href*='export.xlsx'][href*='table=people']").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    jp_column = next(i for i, name in enumerate(header) if name and "JP" in str(name) and "arget" not in str(name))
    exported = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(exported) == BRANCH
    for name, cells in rows.items():
        assert float(exported[name][jp_column] or 0) == float(cells[jp_column].replace("—", "0"))
    assert float(exported["Dewi Kartika Sari"][jp_column]) >= 8

    # the printable annual report
    page.goto(f"{live_url}/reports/annual/?print=1")
    expect(page.locator("h1")).to_contain_text(str(demo_data["year"]))
    expect(page.locator("main")).to_contain_text("Dewi Kartika Sari")
