"""Languages: Bahasa Indonesia first, English second.

The locale is, in order: the signed-in user's preference, the language chosen with the
switcher (kept in the session), then Indonesian - the library's working language, even
when a phone's browser is set to English.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, g, has_request_context, session
from flask_babel import get_locale, get_translations
from flask_login import current_user

from lms.extensions import babel


def supported_languages() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    languages = supported_languages()
    if not has_request_context():  # CLI commands and background work: the library's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if user_locale in languages:
        return user_locale
    if session.get("lang") in languages:
        return session["lang"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def template_translations():
    """The catalogue for the current locale, looked up once per request (and locale).

    Templates call this for every ``_()``: Flask-Babel's own ``get_translations`` walks ``g``
    and the app context a dozen times per string, and the base layout alone translates
    several strings on every page. The cached catalogue is kept with the locale object it
    belongs to, so inside ``force_locale`` (which sets another locale) or after ``refresh``
    (which selects it again) the catalogue is looked up afresh.
    """
    locale = get_locale()
    if locale is None:  # no app context: Flask-Babel's null translations
        return get_translations()
    cached = g.get("_lms_translations")
    if cached is None or cached[0] is not locale:
        cached = g._lms_translations = (locale, get_translations())
    return cached[1]


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our catalogs and selector."""
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(app.root_path) / "translations"))
    # Flask-Babel's template callables, but with the catalogue found once per request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: template_translations().ugettext(s),
        ngettext=lambda s, p, n: template_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: template_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: template_translations().unpgettext(c, s, p, n),
    )

    @app.context_processor
    def _language_context():
        return {"current_locale": str(get_locale() or "id"), "languages": supported_languages()}
