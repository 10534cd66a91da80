"""The base form every Pembina form inherits: CSRF from Flask-WTF, and WTForms' own
validation messages ("This field is required.") translated through our catalog, since
WTForms ships no Indonesian translation."""
from __future__ import annotations

from flask_babel import get_translations, ngettext
from flask_wtf import FlaskForm


class _CatalogTranslations:
    """WTForms' translations interface over Flask-Babel's catalog for the current locale.

    WTForms formats the returned text itself, so no ``%`` formatting happens here.
    """

    def gettext(self, string: str) -> str:
        return get_translations().gettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return get_translations().ngettext(singular, plural, n)


class BaseForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _CatalogTranslations()


def _catalog_marks(n: int) -> None:  # pragma: no cover - never called; pybabel extracts these
    """WTForms' built-in messages that our forms can show, so they land in the catalog."""
    N_ = str
    N_("This field is required.")
    N_("Invalid input.")
    N_("Invalid email address.")
    N_("Not a valid choice.")
    N_("Not a valid integer value.")
    N_("Field must be equal to %(other_name)s.")
    N_("Field must be between %(min)d and %(max)d characters long.")
    N_("Invalid Choice: could not coerce.")
    N_("Invalid choice(s): one or more data inputs could not be coerced.")
    ngettext("Field must be at least %(min)d character long.",
             "Field must be at least %(min)d characters long.", n)
    ngettext("Field cannot be longer than %(max)d character.",
             "Field cannot be longer than %(max)d characters.", n)
    ngettext("'%(value)s' is not a valid choice for this field.",
             "'%(value)s' are not valid choices for this field.", n)
