"""Languages: Bahasa Indonesia first, English second.

The locale is, in order: the signed-in user's own choice (``User.locale``), the language
chosen with the switcher (kept in the session), then the default language of the page's
library (the signed-in person's, else the home library on signed-out pages; see
``lms.organisations.current``), then the install's ``BABEL_DEFAULT_LOCALE`` - never the
browser's, since a phone set to English is no choice of the library's working language.
"""
from __future__ import annotations

from pathlib import Path

from datetime import date, datetime

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import Flask, current_app, g, has_request_context, session
from flask_babel import get_locale, get_translations, to_user_timezone
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
    return library_locale(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def library_locale(languages) -> str | None:
    """The default language of the page's library, or None when none can be read (the
    error page of a failing database must still render)."""
    from sqlalchemy.exc import SQLAlchemyError

    from lms import organisations

    try:
        organisation = organisations.current()
    except SQLAlchemyError:
        return None
    locale = organisation.default_locale if organisation is not None else None
    return locale if locale in languages else None


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


def localized(obj, name: str, locale: str | None = None) -> str:
    """``obj.<name>_en`` for English readers, else ``obj.<name>_id`` (Indonesian first), for
    content stored in both languages (course and module titles, topic and competency names);
    an empty English text falls back to the Indonesian. ``locale`` defaults to the reader's.
    Templates call it as ``localized(course, 'title')``."""
    if locale is None:
        locale = str(get_locale() or "id")
    if locale == "en":
        return getattr(obj, f"{name}_en", None) or getattr(obj, f"{name}_id")
    return getattr(obj, f"{name}_id")


# -- figures and dates in the reader's language (docs/i18n.md) -------------------------------
# One format for dates and one for date-times across the UI: "7 Des 2026" / "Dec 7, 2026" and
# "7 Des 2026 14.05" / "Dec 7, 2026, 2:05 PM". Exports (lms/exports.py) keep machine formats.
EMPTY = "—"


def _locale():
    return get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]


def number(value, places: int | None = None, exact: bool = True) -> str:
    """A number in the reader's locale (4,70 in Indonesian, 4.70 in English): ``places``
    decimals exactly (or at most, with ``exact=False``); None prints a dash."""
    if value is None:
        return EMPTY
    if places is None:
        return babel_numbers.format_decimal(value, locale=_locale())
    decimals = ("0" if exact else "#") * places
    return babel_numbers.format_decimal(value, "#,##0" + ("." + decimals if places else ""), locale=_locale(),
                                        decimal_quantization=True)


def percent(fraction, places: int = 0, hundred: bool = False) -> str:
    """A share (0.312) as a percentage in the reader's locale: 31,2% / 31.2%. ``hundred``:
    the value is a percentage already (31.2), as quiz scores are stored."""
    if fraction is None:
        return EMPTY
    if hundred:
        fraction = fraction / 100
    pattern = "#,##0" + ("." + "0" * places if places else "") + "%"
    return babel_numbers.format_percent(fraction, pattern, locale=_locale())


def format_day(value: date | datetime | None) -> str:
    """The one date format: "7 Des 2026" (id), "Dec 7, 2026" (en). A datetime is shown in
    the library's time zone first, so the day is the library's day."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        value = to_user_timezone(value)
    return babel_dates.format_date(value, "medium", locale=_locale())


def format_moment(value: datetime | None) -> str:
    """The one date-time format: "7 Des 2026 14.05" (id), "Dec 7, 2026, 2:05 PM" (en), in the
    library's time zone (a naive value is UTC, as the database stores it)."""
    if value is None:
        return EMPTY
    locale = _locale()
    moment = to_user_timezone(value)
    return (babel_dates.get_datetime_format("medium", locale=locale)
            .replace("{1}", babel_dates.format_date(moment, "medium", locale=locale))
            .replace("{0}", babel_dates.format_time(moment, "short", locale=locale)))


def format_clock(value: datetime | None) -> str:
    """A time of day in the library's time zone: "14.05" (id), "2:05 PM" (en)."""
    if value is None:
        return EMPTY
    return babel_dates.format_time(to_user_timezone(value), "short", locale=_locale())


def cell_text(cell, decimal: str | None = None) -> str:
    """A table cell (``lms.exports.Cell``) as the page shows it. The cell's ``text`` is what
    the CSV writes - machine numbers (62.5) and ISO dates - so the page swaps in the reader's
    decimal sign (no grouping is ever in that text, so the swap is exact) and writes a day in
    the one date format. ``decimal``: the sign, when the caller formats many cells."""
    value = cell.value
    if isinstance(value, float) and "." in cell.text:
        decimal = decimal or babel_numbers.get_decimal_symbol(_locale())
        return cell.text if decimal == "." else cell.text.replace(".", decimal)
    if isinstance(value, date) and not isinstance(value, datetime):
        return format_day(value)
    return cell.text


FILTERS = {"cell": cell_text, "number": number, "percent": percent, "date": format_day, "datetime": format_moment,
           "clock": format_clock}


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
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals["localized"] = localized

    @app.context_processor
    def _language_context():
        return {"current_locale": str(get_locale() or "id"), "languages": supported_languages()}
