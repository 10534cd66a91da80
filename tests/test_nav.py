"""The navigation's menus (issue 16, item 1): entries grouped by what people do, only what
each person may open, names that cannot be confused, and the current place marked."""
from __future__ import annotations

import re

import pytest

ROLE_SETS = [("librarian",), ("trainer",), ("supervisor",), ("admin",), ("librarian", "supervisor"),
             ("trainer", "admin"), ("librarian", "trainer", "supervisor", "admin")]
GROUPS = {"learn": "Belajar", "teach": "Mengajar", "supervise": "Supervisi", "admin": "Administrasi",
          "account": "Akun"}
EXPECTED_GROUPS = {"librarian": {"learn", "account"}, "trainer": {"learn", "teach", "account"},
                   "supervisor": {"learn", "supervise", "account"},
                   "admin": {"learn", "teach", "supervise", "admin", "account"}}


def nav_html(page: str) -> str:
    return page.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]


def menus(page: str) -> dict[str, list[str]]:
    """``{group: [href, ...]}`` of the menus, with "" for the entries on the bar."""
    nav = nav_html(page)
    found = {"": re.findall(r'<li class="nav-entry"><a href="([^"]+)"', nav)}
    for key, body in re.findall(r'data-group="(\w+)">(.*?)</details>', nav, flags=re.S):
        found[key] = re.findall(r'<a (?:class="[^"]*" )?href="([^"]+)"', body)
    return found


@pytest.mark.parametrize("roles", ROLE_SETS, ids=["+".join(r) for r in ROLE_SETS])
def test_every_entry_a_role_sees_opens_for_it(client_as, imported, roles):
    client = client_as(*roles)
    page = client.get("/").get_data(as_text=True)
    found = menus(page)
    expected = set().union(*(EXPECTED_GROUPS[role] for role in roles))
    assert set(found) - {""} == expected
    hrefs = [href for links in found.values() for href in links]
    assert len(hrefs) == len(set(hrefs)), "an entry is listed twice"
    for href in hrefs:
        response = client.get(href, follow_redirects=True)
        assert response.status_code == 200, (roles, href, response.status_code)
    for key in found:
        if key:
            summary = '<summary class="account-summary">' if key == "account" else "<summary>"
            assert summary + GROUPS[key] in page


def test_menus_are_details_so_they_work_without_javascript(client_as):
    page = client_as("librarian", "supervisor").get("/").get_data(as_text=True)
    nav = nav_html(page)
    assert nav.count('<details class="nav-menu"') == 3 and nav.count("<summary") == 3
    assert '<details class="nav-menu" id="menu-learn" name="nav-menu">' in nav  # closed; one open at a time
    assert "<script" not in page


def test_names_cannot_be_confused(client_as, imported):
    """The learner's own records and the supervisors' review queue have distinct names."""
    both = client_as("librarian", "supervisor")
    nav = nav_html(both.get("/").get_data(as_text=True))
    assert '<a href="/records/">Catatan pelatihan saya</a>' in nav
    assert '<a href="/records/review">Verifikasi catatan pelatihan</a>' in nav
    assert "Profil kompetensi saya" in nav and ">Catatan saya<" not in nav and ">Catatan pelatihan<" not in nav


def test_the_current_page_and_its_menu_are_marked(client_as, imported):
    client = client_as("supervisor")
    page = client.get("/assignments/").get_data(as_text=True)
    nav = nav_html(page)
    assert '<a href="/assignments/" aria-current="page">Penugasan</a>' in nav
    assert '<li class="nav-group is-current" data-group="supervise">' in nav
    assert "Supervisi<span class=\"visually-hidden\"> (Anda di sini)</span>" in nav
    assert nav.count("is-current") == 1
    # a page under a menu's entry (a new assignment) marks the menu, not an entry
    nav = nav_html(client.get("/assignments/new").get_data(as_text=True))
    assert '<li class="nav-group is-current" data-group="supervise">' in nav and 'aria-current="page"' not in nav
    nav = nav_html(client.get("/").get_data(as_text=True))
    assert '<a href="/" aria-current="page">Beranda</a>' in nav and "is-current" not in nav


def test_the_account_menu_holds_notifications_language_and_sign_out(client_as):
    nav = nav_html(client_as("librarian").get("/").get_data(as_text=True))
    account = nav.split('data-group="account"', 1)[1]
    assert '<a href="/account">Akun saya</a>' in account and 'class="notifications-link" href="/notifications/"' in account
    assert 'name="lang" value="en"' in account and 'action="/logout"' in account
