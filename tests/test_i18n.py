"""Languages: Bahasa Indonesia by default, English on request, and a complete catalog.

These tests fail when i18n breaks: a missing or stale ``.mo`` (pages fall back to English),
an untranslated or fuzzy string, a translation that drops or renames a placeholder, a
language switch that stops sticking or becomes an open redirect.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from lms.auth.models import User
from lms.translations_build import DEFAULT_DIR, compile_catalogs
from tests.conftest import csrf_token, login

ROOT = Path(__file__).resolve().parent.parent
PO_PATH = DEFAULT_DIR / "id" / "LC_MESSAGES" / "messages.po"
MO_PATH = PO_PATH.with_suffix(".mo")
HTML_LANG = re.compile(r'<html lang="([^"]+)"')
# A python-format placeholder: %(name)s, %(n)d, %(name)r, %(x)05.2f ...
PLACEHOLDER = re.compile(r"%\(([A-Za-z_][A-Za-z0-9_]*)\)[#0 +-]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")


def _read_catalog():
    with PO_PATH.open("rb") as handle:
        return read_po(handle, locale="id")


def _messages():
    """Every real message of the Indonesian catalog (not the header)."""
    return [message for message in _read_catalog() if message.id]


def _ids(message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, (list, tuple)) else (message.id,)


def _strings(message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (list, tuple)) else (message.string,)


def _placeholders(text: str) -> set[str]:
    return {f"%({name}){conversion}" for name, conversion in PLACEHOLDER.findall(text)}


def _mo_is_current() -> bool:
    return MO_PATH.is_file() and MO_PATH.stat().st_mtime >= PO_PATH.stat().st_mtime


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """Pages are only translated with a compiled catalog: ``make`` builds it; a bare
    ``pytest`` in a fresh checkout (or after editing the .po) compiles it here."""
    if not _mo_is_current():
        compile_catalogs()
    assert _mo_is_current()


def html_lang(response) -> str:
    match = HTML_LANG.search(response.get_data(as_text=True))
    assert match, "no <html lang=...> on the page"
    return match.group(1)


def switch_language(client, lang: str, next_url: str = "/login", token_from: str = "/login"):
    data = {"lang": lang, "next": next_url, "csrf_token": csrf_token(client, token_from)}
    return client.post("/language", data=data)


def location_path(response) -> str:
    """The redirect target's path, insisting it stays on this site."""
    parts = urlsplit(response.headers["Location"])
    assert parts.scheme in ("", "http"), response.headers["Location"]
    assert parts.netloc in ("", "localhost"), response.headers["Location"]
    return parts.path + (f"?{parts.query}" if parts.query else "")


def fresh_user(db, user_id: int) -> User:
    """The user as stored, not the test session's cached copy."""
    db.session.expire_all()
    return db.session.get(User, user_id)


# --- Pages ------------------------------------------------------------------------------

def test_login_page_is_indonesian_by_default(client):
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html_lang(response) == "id"
    assert "Masuk ke Pembina" in page
    assert "Nama pengguna" in page  # a lazy form label follows the language too
    assert "Kata sandi" in page
    assert "Sign in" not in page
    assert "Username" not in page


def test_browser_language_does_not_override_the_indonesian_default(client):
    response = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(response) == "id"
    assert "Masuk ke Pembina" in response.get_data(as_text=True)


def test_switching_to_english_makes_the_login_page_english(client):
    response = switch_language(client, "en", next_url="/login")
    assert response.status_code == 302
    assert location_path(response) == "/login"
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert html_lang(response) == "en"
    assert "Sign in to Pembina" in page
    assert "Username" in page
    assert "Masuk" not in page
    assert "Nama pengguna" not in page


def test_switching_back_to_indonesian(client):
    switch_language(client, "en")
    switch_language(client, "id")
    response = client.get("/login")
    assert html_lang(response) == "id"
    assert "Masuk ke Pembina" in response.get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    response = switch_language(client, "fr")
    assert response.status_code == 302
    response = client.get("/login")
    assert html_lang(response) == "id"
    assert "Masuk ke Pembina" in response.get_data(as_text=True)


def test_language_switch_needs_a_csrf_token(client):
    response = client.post("/language", data={"lang": "en", "next": "/login"})
    assert response.status_code == 400
    assert html_lang(client.get("/login")) == "id"


@pytest.mark.parametrize("unsafe", [
    "//evil.example",
    "//evil.example/login",
    "https://evil.example",
    "http://evil.example/login",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
])
def test_language_switch_does_not_redirect_off_site(client, unsafe):
    response = switch_language(client, "en", next_url=unsafe)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil.example" not in location
    assert location_path(response) == "/"
    # The choice still applies even though the target was refused.
    assert html_lang(client.get("/login")) == "en"


def test_language_switch_keeps_a_safe_next_with_its_query(client):
    response = switch_language(client, "en", next_url="/login?next=/admin/users")
    assert location_path(response) == "/login?next=/admin/users"


def test_not_found_page_in_both_languages(client):
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert html_lang(response) == "id"
    assert "Halaman tidak ditemukan" in page
    assert "Kembali ke beranda" in page
    assert "Page not found" not in page

    switch_language(client, "en")
    response = client.get("/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert html_lang(response) == "en"
    assert "Page not found" in page
    assert "Back to the home page" in page
    assert "Halaman tidak ditemukan" not in page


def test_form_validation_messages_are_indonesian(client):
    data = {"username": "", "password": "", "csrf_token": csrf_token(client)}
    page = client.post("/login", data=data).get_data(as_text=True)
    assert "Silakan perbaiki isian yang ditandai." in page
    assert "Kolom ini wajib diisi." in page
    assert "This field is required." not in page


# --- A signed-in user's preference ------------------------------------------------------

def test_user_preference_decides_the_language(app, make_user):
    make_user("english-reader", locale="en")
    make_user("pembaca", locale="id")

    english = app.test_client()
    assert login(english, "english-reader").status_code == 302
    response = english.get("/")
    assert response.status_code == 200
    assert html_lang(response) == "en"
    assert "Sign out" in response.get_data(as_text=True)

    indonesian = app.test_client()
    assert login(indonesian, "pembaca").status_code == 302
    response = indonesian.get("/")
    assert html_lang(response) == "id"
    page = response.get_data(as_text=True)
    assert "Keluar" in page
    assert "Sign out" not in page


def test_user_preference_wins_over_the_anonymous_choice(app, make_user):
    make_user("pembaca", locale="id")
    client = app.test_client()
    switch_language(client, "en")
    assert html_lang(client.get("/login")) == "en"
    assert login(client, "pembaca").status_code == 302
    assert html_lang(client.get("/")) == "id"


def test_switching_while_signed_in_stores_the_preference(app, db, make_user):
    user = make_user("pembaca", locale="id")
    client = app.test_client()
    assert login(client, "pembaca").status_code == 302
    assert html_lang(client.get("/")) == "id"

    response = switch_language(client, "en", next_url="/", token_from="/")
    assert response.status_code == 302
    assert location_path(response) == "/"
    assert fresh_user(db, user.id).locale == "en"
    assert html_lang(client.get("/")) == "en"

    # The preference follows the person to another browser.
    other = app.test_client()
    assert login(other, "pembaca").status_code == 302
    response = other.get("/")
    assert html_lang(response) == "en"
    assert "Sign out" in response.get_data(as_text=True)

    switch_language(other, "id", next_url="/", token_from="/")
    assert fresh_user(db, user.id).locale == "id"


def test_unknown_language_does_not_change_the_stored_preference(app, db, make_user):
    user = make_user("pembaca", locale="id")
    client = app.test_client()
    assert login(client, "pembaca").status_code == 302
    switch_language(client, "xx", next_url="/", token_from="/")
    assert fresh_user(db, user.id).locale == "id"


# --- The catalog ------------------------------------------------------------------------

def test_catalog_has_no_empty_or_fuzzy_translation():
    catalog = _read_catalog()
    assert not catalog.fuzzy, "the catalog header is marked fuzzy"
    messages = _messages()
    assert len(messages) > 100
    empty = [_ids(m)[0] for m in messages if not all(s.strip() for s in _strings(m))]
    fuzzy = [_ids(m)[0] for m in messages if m.fuzzy]
    assert empty == [], f"untranslated: {empty}"
    assert fuzzy == [], f"fuzzy: {fuzzy}"


def test_plural_entries_fill_every_form():
    catalog = _read_catalog()
    plurals = [m for m in _messages() if m.pluralizable]
    assert plurals, "the catalog should hold the ngettext strings"
    for message in plurals:
        assert len(message.string) == catalog.num_plurals, message.id
        assert all(message.string), message.id


def test_catalog_covers_every_string_in_the_sources():
    """A string added to code or a template must be extracted and translated before merge
    (``make translations-update``, then translate)."""
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    method_map = [("**.py", "python"), ("**.html", "jinja2")]
    found = set()
    for folder in ("lms", "templates"):
        for _filename, _lineno, message, _comments, _context in extract_from_dir(
                str(ROOT / folder), method_map=method_map, keywords=keywords):
            found.add(message[0] if isinstance(message, tuple) else message)
    assert len(found) > 100
    translated = {_ids(m)[0] for m in _messages() if all(_strings(m))}
    missing = sorted(found - translated)
    assert missing == [], f"not in the Indonesian catalog (run make translations-update): {missing}"


def test_placeholders_are_kept_in_every_translation():
    problems = []
    for message in _messages():
        expected = set().union(*(_placeholders(text) for text in _ids(message)))
        for text in _strings(message):
            if _placeholders(text) != expected:
                problems.append((_ids(message)[0], text))
    assert problems == []


def test_every_translation_formats_with_its_arguments():
    """``msgstr % values`` must not raise (a stray ``%`` or a wrong type would)."""
    samples = {"d": 3, "i": 3, "r": "x", "s": "x"}
    for message in _messages():
        names = {}
        for text in _ids(message):
            for name, conversion in PLACEHOLDER.findall(text):
                names[name] = samples.get(conversion, 1.5)
        if not names:
            continue
        for text in _strings(message):
            text % names  # noqa: B018 - raises on a broken translation


def test_compiled_catalog_translates(app):
    from flask_babel import force_locale, gettext, ngettext

    assert MO_PATH.is_file()
    with app.test_request_context("/"):
        with force_locale("id"):
            assert gettext("Sign in") == "Masuk"
            assert gettext("Page not found") == "Halaman tidak ditemukan"
            assert gettext("Welcome, %(name)s", name="Sari") == "Selamat datang, Sari"
            assert ngettext("%(num)d user", "%(num)d users", 3) == "3 pengguna"
        with force_locale("en"):
            assert gettext("Sign in") == "Sign in"
            assert ngettext("%(num)d user", "%(num)d users", 3) == "3 users"


def test_request_locale_is_indonesian_without_a_choice(app):
    from flask_babel import get_locale, gettext

    with app.test_request_context("/login", headers={"Accept-Language": "en"}):
        assert str(get_locale()) == "id"
        assert gettext("Sign out") == "Keluar"


def test_localized_text_is_a_core_helper_for_code_and_templates(tmp_path):
    """``localized`` lives in the core (lms.i18n), so templates and plugins have it whatever
    plugins are on (it was the courses plugin's template global before)."""
    from types import SimpleNamespace

    from flask import render_template_string
    from flask_babel import force_locale

    from lms.i18n import localized
    from tests.conftest import make_test_app

    both = SimpleNamespace(title_id="Katalogisasi", title_en="Cataloguing")
    only_id = SimpleNamespace(title_id="Katalogisasi", title_en="")
    app = make_test_app(tmp_path, PLUGINS="")  # the core alone
    with app.test_request_context("/"):
        assert localized(both, "title", "en") == "Cataloguing"
        assert localized(both, "title", "id") == "Katalogisasi"
        assert localized(only_id, "title", "en") == "Katalogisasi"  # empty English: the Indonesian
        with force_locale("en"):
            assert localized(both, "title") == "Cataloguing"  # the reader's locale by default
            assert render_template_string("{{ localized(o, 'title') }}", o=only_id) == "Katalogisasi"
        with force_locale("id"):
            assert render_template_string("{{ localized(o, 'title') }}", o=both) == "Katalogisasi"
