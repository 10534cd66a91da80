"""The mark-read form (only the CSRF token; ids come as repeated ``id`` fields) and the
preferences form: one radio group per kind of notification."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from lms.forms import BaseForm
from lms.plugins.notifications.models import EMAIL_CHOICES
from lms.plugins.notifications.preferences import CHOICE_LABELS


class MarkReadForm(BaseForm):
    pass


def field_name(kind: str) -> str:
    return f"email_{kind}"


def preferences_form(kinds: dict, current: dict[str, str]) -> BaseForm:
    """A form with a required radio group for each of ``kinds`` (``preferences.kinds()``),
    checked at ``current`` (the person's choices); built per request, as the kinds come
    from the enabled plugins."""

    class PreferencesForm(BaseForm):
        pass

    for key, kind in kinds.items():
        setattr(PreferencesForm, field_name(key), RadioField(
            kind.label, choices=[SelectChoice(choice, CHOICE_LABELS[choice]) for choice in EMAIL_CHOICES],
            default=current[key], validators=[InputRequired(_l("Choose how e-mail should reach you."))]))
    return PreferencesForm()
