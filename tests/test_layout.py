"""The base layout every signed-in page draws, and what it costs.

The navigation links are cached per (locale, roles, script root) and the template's
translations per request (``lms.nav.nav_links``, ``lms.i18n.template_translations``). These
tests hold the layout to what it showed before those caches: each role's entries, rendered
here the slow way (``url_for`` and the lazy label for every entry, as the template did),
the unread badge following new and read notifications, the language switch, and no entry
ever shown to a user because another user's request filled the cache. The page floor's SQL
is pinned: the signed-in user with their roles in one statement, and the unread count.
"""
from __future__ import annotations

import re

import pytest
from flask import render_template_string
from flask_babel import force_locale
from sqlalchemy import event

from lms.extensions import db
from lms.nav import nav_for
from lms.plugins.notifications import services as notifications
from tests.conftest import csrf_token

NAV = re.compile(r'<nav class="main-nav"[^>]*>(.*?)</nav>', re.S)
ITEM = re.compile(r'<a href="[^"]*"(?: aria-current="page")?>.*?</a>', re.S)  # the entries, not the tools
BADGE = re.compile(r'<span class="badge" aria-hidden="true">(\d+)</span>')
PARAMS = {"title_id": "Dasar MARC", "title_en": "MARC basics", "due": "2026-12-01"}

# The navigation's entries as base.html had them before the links were cached (the menus
# group them now: the entries are compared as a sorted list).
SLOW_NAV = """{% for item in items %}
<a href="{{ url_for(item.endpoint) }}"{% if request.endpoint == item.endpoint %} aria-current="page"{% endif %}>{{ item.label }}</a>
{% endfor %}"""


def nav_of(page: str) -> list[str]:
    match = NAV.search(page)
    assert match, "no main navigation on the page"
    return sorted(ITEM.findall(match.group(1)))


def slow_nav(app, user, path: str, locale: str) -> list[str]:
    """The entries ``user`` sees on ``path`` in ``locale``, rendered as the layout did."""
    items = list({item.endpoint: item for item in reversed(nav_for(user))}.values())  # one entry a page
    with app.test_request_context(path), force_locale(locale):
        return sorted(ITEM.findall(render_template_string(SLOW_NAV, items=items)))


def switch_language(client, lang: str, path: str = "/healthz/session"):
    response = client.post("/language", data={"lang": lang, "next": path, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302


@pytest.mark.parametrize("roles", [("librarian",), ("trainer",), ("supervisor",), ("admin",),
                                   ("librarian", "supervisor"), ("trainer", "admin")])
@pytest.mark.parametrize("path", ["/healthz/session", "/", "/account"])
def test_each_roles_navigation_is_what_the_slow_rendering_gives(app, client_as, roles, path):
    client = client_as(*roles)
    for lang in ("id", "en"):
        switch_language(client, lang, path)
        page = client.get(path).get_data(as_text=True)
        assert f'<html lang="{lang}">' in page
        expected = slow_nav(app, client.user, path, lang)
        assert nav_of(page) == expected
        assert len(expected) >= 2  # at least Home and My account
    assert ('aria-current="page"' in "".join(nav_of(page))) is (path != "/healthz/session")


def test_the_current_page_is_marked_and_labels_are_translated(client_as):
    client = client_as("librarian")
    page = client.get("/").get_data(as_text=True)
    assert '<a href="/" aria-current="page">Beranda</a>' in nav_of(page)
    assert '<a href="/account">Akun saya</a>' in nav_of(page)
    switch_language(client, "en", "/account")
    page = client.get("/account").get_data(as_text=True)
    assert '<a href="/">Home</a>' in nav_of(page)
    assert '<a href="/account" aria-current="page">My account</a>' in nav_of(page)


def test_no_user_sees_entries_cached_for_another(app, client_as, make_user, db):
    admin = client_as("admin")
    librarian = client_as("librarian")
    admin_links = set(nav_of(admin.get("/healthz/session").get_data(as_text=True)))
    librarian_links = set(nav_of(librarian.get("/healthz/session").get_data(as_text=True)))
    assert any("/admin/" in link for link in admin_links)
    assert not any("/admin/" in link for link in librarian_links)
    assert set(nav_of(admin.get("/healthz/session").get_data(as_text=True))) == admin_links

    # roles change: the next request shows the entries of the new set of roles
    user = librarian.user
    user.set_roles(["librarian", "admin"])
    db.session.commit()
    both = set(nav_of(librarian.get("/healthz/session").get_data(as_text=True)))
    assert any("/admin/" in link for link in both) and librarian_links < both
    assert both == set(slow_nav(app, user, "/healthz/session", "id"))
    user.set_roles(["librarian"])
    db.session.commit()
    assert set(nav_of(librarian.get("/healthz/session").get_data(as_text=True))) == librarian_links

    # the cache holds role sets and locales, nothing of a user
    for key in app.extensions["lms.nav_links"]:
        locale, roles, root = key
        assert locale in ("id", "en") and isinstance(roles, frozenset) and isinstance(root, str)


def test_signed_out_pages_have_no_navigation(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'class="main-nav"' not in page and "Keluar" not in page


def test_unread_badge_follows_notifications(client_as, make_user, org):
    client = client_as("librarian")
    other = make_user("other", unit=org["branch_a"])

    def badge():
        page = client.get("/healthz/session").get_data(as_text=True)
        assert 'class="notifications-link"' in page
        found = BADGE.findall(page)
        return int(found[0]) if found else 0

    assert badge() == 0
    notifications.notify([client.user.id], "assignment", "assignment.new", PARAMS, url="/learning/", email=False)
    assert badge() == 1
    notifications.notify([client.user.id, other.id], "assignment", "assignment.new", PARAMS, email=False)
    notifications.notify([other.id], "assignment", "assignment.new", PARAMS, email=False)
    assert badge() == 2  # the other user's notifications do not count
    page = client.get("/healthz/session").get_data(as_text=True)
    assert "2 notifikasi belum dibaca" in page
    notifications.mark_read(client.user.id)
    assert badge() == 0
    assert notifications.unread_count(other.id) == 2


def test_language_switch_changes_the_whole_layout(client_as):
    client = client_as("librarian")
    page = client.get("/healthz/session").get_data(as_text=True)
    assert '<html lang="id">' in page and "Keluar" in page and "Langsung ke konten" in page
    assert 'value="id" lang="id" aria-pressed="true" class="active"' in page
    switch_language(client, "en")
    page = client.get("/healthz/session").get_data(as_text=True)
    assert '<html lang="en">' in page and "Sign out" in page and "Skip to content" in page
    assert "Staff development for Perpustakaan Uji" in page
    assert 'value="en" lang="en" aria-pressed="true" class="active"' in page
    assert "Keluar" not in page
    switch_language(client, "id")
    assert "Keluar" in client.get("/healthz/session").get_data(as_text=True)


def test_template_translations_follow_force_locale(app):
    """The per-request catalogue must not outlive a locale change inside the request."""
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Sign out') }}") == "Keluar"
        with force_locale("en"):
            assert render_template_string("{{ _('Sign out') }}") == "Sign out"
            assert render_template_string("{{ ngettext('%(num)d unread notification', "
                                          "'%(num)d unread notifications', 2) }}") == "2 unread notifications"
        assert render_template_string("{{ _('Sign out') }}") == "Keluar"


def test_page_floor_runs_two_statements(app, client_as):
    """The signed-in user with their roles and library (one statement), then the unread count."""
    client = client_as("librarian", "supervisor")
    client.get("/healthz/session")
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get("/healthz/session").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert client.user.full_name in page
    assert len(statements) == 2, statements
    assert "LEFT OUTER JOIN user_roles" in statements[0] and "organisations" in statements[0]
    assert "FROM notifications" in statements[1] and "count(" in statements[1]
