"""The patron-survey CSV upload form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import InputRequired

from lms.forms import BaseForm
from lms.http import form_int
from lms.plugins.needs.forms import optional_int


class PatronUploadForm(BaseForm):
    # Choices are filled by the view; a value outside them (a tampered id) is refused.
    survey_id = SelectField(_l("Patron survey"), coerce=form_int, validators=[InputRequired()])
    round_id = SelectField(_l("Round"), coerce=optional_int)
    unit_id = SelectField(_l("Unit"), coerce=optional_int)
    file = FileField(_l("CSV file"), validators=[FileRequired()])
