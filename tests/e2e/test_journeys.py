"""Real browser journeys through Pembina (Playwright + Debian's Chromium).

Assertions rely on stable things (ids, URLs, ``name=`` attributes, HTTP status, demo
data) or on regexes that accept both the Indonesian and the English wording, because the
translations are still being written.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, expect

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000

ROLE_HOMES = [
    # (username, role, panel id)
    ("ani", "librarian", "#panel-my-learning"),
    ("budi", "trainer", "#panel-my-modules"),
    ("citra", "supervisor", "#panel-my-units"),
    ("admin", "admin", "#panel-organisation"),
]


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    return page


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def submit_login(page: Page, base: str, username: str, password: str) -> Response:
    """Fill the login form like a person and return the response to the POST."""
    if path_of(page) != "/login":
        page.goto(f"{base}/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_response(lambda r: r.request.method == "POST" and urlsplit(r.url).path == "/login") as info:
        page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return info.value


def sign_in(page: Page, base: str, username: str, password: str) -> None:
    response = submit_login(page, base, username, password)
    assert response.status == 302, f"login as {username} answered {response.status}"
    expect(page).to_have_url(f"{base}/")


def reveal(page: Page, selector: str):
    """The first element matching ``selector``, its navigation menu opened first if it sits
    in a closed one - as a person would, by clicking the menu's summary."""
    found = page.locator(selector).first
    menu = found.locator("xpath=ancestor::details[1]")
    if menu.count() and menu.get_attribute("open") is None:
        menu.locator("xpath=./summary").click()
    return found


def sign_out(page: Page) -> None:
    reveal(page, "header form[action='/logout'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/login$"))


# --- each role lands on its own home --------------------------------------------------

@pytest.mark.parametrize(("username", "role", "panel"), ROLE_HOMES, ids=[r[1] for r in ROLE_HOMES])
def test_each_role_signs_in_and_sees_its_panel(page: Page, live_url, demo_password, username, role, panel):
    page.goto(f"{live_url}/")
    expect(page).to_have_url(re.compile(r"/login\?next=%2F$|/login\?next=/$"))
    expect(page.locator("h1")).to_have_text(re.compile(r"Masuk|Sign in"))

    sign_in(page, live_url, username, demo_password)

    expect(page.locator(panel)).to_be_visible()
    expect(page.locator(f"#role-{role}")).to_have_count(1)
    # Only the panels of the roles this demo account holds.
    for other_username, other_role, other_panel in ROLE_HOMES:
        if other_role != role:
            expect(page.locator(other_panel)).to_have_count(0)
    # The nav always leads home.
    expect(page.locator("nav.main-nav a[href='/']")).to_have_count(1)


def test_supervisor_panel_lists_supervised_branch(page: Page, live_url, demo_password):
    sign_in(page, live_url, "citra", demo_password)
    panel = page.locator("#panel-my-units")
    expect(panel).to_contain_text("Perpustakaan Cabang Jekan Raya")
    expect(panel.locator("tbody tr").first).to_be_visible()


def test_admin_nav_links_to_user_admin(page: Page, live_url, demo_password):
    sign_in(page, live_url, "admin", demo_password)
    link = reveal(page, "nav.main-nav a[href='/admin/users']")
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(f"{live_url}/admin/users")
    expect(page.locator("a[href='/admin/users/new']")).to_be_visible()


def test_librarian_has_no_admin_links_and_is_refused(page: Page, live_url, demo_password):
    sign_in(page, live_url, "ani", demo_password)
    expect(page.locator("#panel-my-learning")).to_be_visible()
    expect(page.locator("a[href='/admin/users']")).to_have_count(0)
    expect(page.locator("a[href^='/admin']")).to_have_count(0)
    response = page.goto(f"{live_url}/admin/users")
    assert response is not None and response.status == 403


# --- sign-in failures ----------------------------------------------------------------

def test_wrong_password_shows_error_and_stays_on_login(page: Page, live_url):
    response = submit_login(page, live_url, "ani", "not-the-password")
    assert response.status == 401
    expect(page).to_have_url(f"{live_url}/login")
    error = page.locator(".flash.flash-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(re.compile(r"salah|tidak benar|not correct", re.IGNORECASE))
    # The username is kept for a second try; the password is not.
    expect(page.locator("input[name=username]")).to_have_value("ani")
    expect(page.locator("input[name=password]")).to_have_value("")
    expect(page.locator("#panel-my-learning")).to_have_count(0)


# --- language switcher ---------------------------------------------------------------

def test_language_switcher_changes_page_language(page: Page, live_url, demo_password):
    page.goto(f"{live_url}/login")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "id")
    expect(page.locator("button[name=lang][value=id]")).to_have_attribute("aria-pressed", "true")

    page.locator("button[name=lang][value=en]").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{live_url}/login")
    expect(page.locator("button[name=lang][value=en]")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("h1")).to_have_text(re.compile(r"Sign in"))

    # Signed in (documented order in lms/i18n.py): ani has chosen no language (the demo leaves
    # it to her library), so this browser's choice holds. Switching while signed in stores her
    # own choice, which then wins in every later session.
    sign_in(page, live_url, "ani", demo_password)
    expect(html).to_have_attribute("lang", "en")
    reveal(page, "button[name=lang][value=id]").click()
    expect(page).to_have_url(f"{live_url}/")
    expect(html).to_have_attribute("lang", "id")
    expect(page.locator("#panel-my-learning")).to_be_visible()
    page.reload()
    expect(html).to_have_attribute("lang", "id")
    sign_out(page)
    page.goto(f"{live_url}/login")
    page.locator("button[name=lang][value=en]").click()  # this browser asks for English again
    expect(html).to_have_attribute("lang", "en")
    sign_in(page, live_url, "ani", demo_password)
    expect(html).to_have_attribute("lang", "id")  # her stored choice wins

    reveal(page, "button[name=lang][value=id]").click()
    expect(page).to_have_url(f"{live_url}/")
    expect(html).to_have_attribute("lang", "id")
    expect(page.locator("button[name=lang][value=id]")).to_have_attribute("aria-pressed", "true")


# --- small screens -------------------------------------------------------------------

@pytest.mark.parametrize(("username", "role", "panel"), ROLE_HOMES, ids=[r[1] for r in ROLE_HOMES])
def test_phone_home_has_no_horizontal_overflow(page: Page, live_url, demo_password, tmp_path,
                                               username, role, panel):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_url}/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "login page overflows"
    sign_in(page, live_url, username, demo_password)
    expect(page.locator(panel)).to_be_visible()

    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(tmp_path / f"phone-home-{role}.png"), full_page=True)
    assert scroll_width <= 360, f"home page of {role} is {scroll_width}px wide on a 360px phone"

    links = page.locator("nav.main-nav a")
    assert links.count() >= 1
    for i in range(links.count()):
        link = links.nth(i)
        menu = link.locator("xpath=ancestor::details[1]")
        if menu.count() and menu.get_attribute("open") is None:
            menu.locator("xpath=./summary").click()  # its menu (the others close)
        link.scroll_into_view_if_needed()
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360, (
            f"nav link {link.get_attribute('href')} is off-screen: {box}")
    if role == "admin":
        reveal(page, "nav.main-nav a[href='/admin/users']").click()
        expect(page).to_have_url(f"{live_url}/admin/users")


# --- administration journey ----------------------------------------------------------

def test_admin_creates_then_deactivates_a_user_who_then_cannot_sign_in(
        page: Page, live_url, demo_password, browser, tmp_path):
    username, full_name, password = "wulan", "Wulan Puspita Sari", "ladang-padi-2024"
    sign_in(page, live_url, "admin", demo_password)

    page.goto(f"{live_url}/admin/users/new")
    form = page.locator("main form.card")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=full_name]").fill(full_name)
    form.locator("input[name=password]").fill(password)
    form.locator("input[name=roles][value=librarian]").check()
    unit_option = form.locator("select[name=unit_id] option", has_text="Perpustakaan Cabang Jekan Raya")
    form.locator("select[name=unit_id]").select_option(unit_option.get_attribute("value"))
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(f"{live_url}/admin/users")
    expect(page.locator(".flash.flash-success")).to_contain_text(username)
    row = page.locator("tbody tr", has=page.locator("td", has_text=re.compile(rf"^{username}$")))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(full_name)
    expect(row).to_contain_text("Perpustakaan Cabang Jekan Raya")
    expect(row).to_contain_text(re.compile(r"Aktif|Active"))

    # The new person signs in (in a browser of their own) before the deactivation.
    other = browser.new_context()
    try:
        their_page = other.new_page()
        their_page.set_default_timeout(TIMEOUT_MS)
        response = submit_login(their_page, live_url, username, password)
        assert response.status == 302
        expect(their_page).to_have_url(f"{live_url}/account")  # temporary password: change it first

        row.locator("a").first.click()
        expect(page).to_have_url(re.compile(r"/admin/users/\d+$"))
        expect(page.locator("input[name=username]")).to_have_value(username)
        expect(page.locator(".notice")).to_have_count(0)
        deactivate = page.locator("form[action$='/active']:has(input[name=active][value='0']) button[type=submit]")
        deactivate.click()
        expect(page).to_have_url(re.compile(r"/admin/users/\d+$"))
        expect(page.locator(".flash.flash-success")).to_contain_text(username)
        expect(page.locator(".notice")).to_be_visible()
        expect(page.locator("form[action$='/active'] input[name=active][value='1']")).to_have_count(1)
        page.screenshot(path=str(tmp_path / "admin-deactivated.png"), full_page=True)

        # The open session of the deactivated person ends at their next request.
        their_page.goto(f"{live_url}/")
        expect(their_page).to_have_url(re.compile(r"/login"))
    finally:
        other.close()

    page.goto(f"{live_url}/admin/users?status=inactive")
    expect(page.locator("tbody")).to_contain_text(username)

    sign_out(page)
    response = submit_login(page, live_url, username, password)
    assert response.status == 401  # the right password of a deactivated account: the generic failure
    expect(page).to_have_url(f"{live_url}/login")
    expect(page.locator(".flash.flash-error")).to_have_text(
        re.compile(r"nama pengguna atau kata sandi|username or password", re.IGNORECASE))
    page.goto(f"{live_url}/")
    expect(page).to_have_url(re.compile(r"/login"))


# --- keyboard ------------------------------------------------------------------------

def test_skip_link_is_first_focusable_and_moves_focus_to_main(page: Page, live_url):
    page.goto(f"{live_url}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    expect(page.locator("a.skip-link")).to_be_focused()
    expect(page.locator("a.skip-link")).to_be_in_viewport()  # visible while it has focus
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_url}/login#main")
    expect(page.locator("#main")).to_be_focused()
