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
    # The same orders as `lms needs import-csv --date-format`; automatic decides from the column.
    date_format = SelectField(_l("Date order"), choices=[
        ("", _l("Automatic: decided from the whole date column")),
        ("%d/%m/%Y", _l("Day/month/year (31/12/2026)")),
        ("%m/%d/%Y", _l("Month/day/year (12/31/2026)"))], default="")
    file = FileField(_l("CSV file"), validators=[FileRequired()])
