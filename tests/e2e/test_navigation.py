"""The navigation in a real browser (issue 16, item 1): for each demo role at 320, 360, 1280
and 1920 px, the page never scrolls sideways, every entry is visible or becomes visible
when its menu is opened, a menu opens from the keyboard (Enter and Space on its summary)
and closes the same way, one menu is open at a time, and the current page and its menu are
marked. The pages carry no script: all of it is ``<details>``."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_journeys import sign_in

pytestmark = pytest.mark.e2e

WIDTHS = (320, 360, 1280, 1920)
USERS = ("ani", "budi", "citra", "erlina", "admin")  # librarian, trainer, supervisor, both, admin
SHOTS = None  # set to a folder to keep screenshots of the open menus


def overflow(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize("username", USERS)
def test_navigation_fits_and_works_by_keyboard(page: Page, live_url, demo_password, username):
    page.set_default_timeout(15_000)
    sign_in(page, live_url, username, demo_password)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_url}/")
        assert overflow(page) <= 0, f"{username} at {width}px: the page scrolls sideways"
        expect(page.locator("nav.main-nav a[href='/']")).to_have_attribute("aria-current", "page")
        menus = page.locator("nav.main-nav details.nav-menu")
        assert menus.count() >= 2  # at least a learning or work menu, and the account menu
        for index in range(menus.count()):
            menu = menus.nth(index)
            summary = menu.locator("xpath=./summary")
            expect(summary).to_be_visible()
            box = summary.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (username, width, box)
            # keyboard: Enter (or Space) opens, the entries show inside the window, it closes again
            summary.focus()
            page.keyboard.press("Enter" if index % 2 == 0 else " ")
            expect(menu).to_have_attribute("open", "")
            for link in menu.locator("a").all():
                expect(link).to_be_visible()
                box = link.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (
                    username, width, link.get_attribute("href"), box)
            assert overflow(page) <= 0, f"{username} at {width}px: an open menu widens the page"
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/menu-{username}-{width}-{index}.png")
            summary.focus()
            page.keyboard.press("Enter")
            expect(menu).not_to_have_attribute("open", "")
            expect(summary).to_be_focused()


def test_one_menu_at_a_time_and_the_current_menu_is_marked(page: Page, live_url, demo_password):
    sign_in(page, live_url, "erlina", demo_password)
    learn, supervise = page.locator("#menu-learn"), page.locator("#menu-supervise")
    learn.locator("xpath=./summary").click()
    expect(learn).to_have_attribute("open", "")
    supervise.locator("xpath=./summary").click()
    expect(supervise).to_have_attribute("open", "")
    expect(learn).not_to_have_attribute("open", "")  # opening one closes the other (name="nav-menu")
    supervise.locator("a[href='/assignments/']").click()
    expect(page).to_have_url(f"{live_url}/assignments/")
    expect(page.locator("nav.main-nav a[href='/assignments/']")).to_have_attribute("aria-current", "page")
    group = page.locator("nav.main-nav li.nav-group.is-current")
    expect(group).to_have_count(1)
    expect(group).to_have_attribute("data-group", "supervise")
    # visibly marked: the current menu's summary is drawn unlike the others
    marked = group.locator("summary").evaluate("e => getComputedStyle(e).boxShadow")
    other = page.locator("#menu-learn summary").evaluate("e => getComputedStyle(e).boxShadow")
    assert marked != other and marked != "none"


def test_menus_work_without_javascript(browser, live_url, demo_password):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, live_url, "citra", demo_password)
        page.locator("#menu-supervise summary").click()
        link = page.locator("#menu-supervise a[href='/reports/']")
        expect(link).to_be_visible()
        link.click()
        expect(page).to_have_url(f"{live_url}/reports/")
    finally:
        context.close()
