"""Languages: Bahasa Indonesia first, English second.

The locale is, in order: the signed-in user's preference, the language chosen with the
switcher (kept in the session), then Indonesian - the library's working language, even
when a phone's browser is set to English.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, session
from flask_babel import get_locale
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


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our catalogs and selector."""
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=str(Path(app.root_path) / "translations"))

    @app.context_processor
    def _language_context():
        return {"current_locale": str(get_locale() or "id"), "languages": supported_languages()}
