"""Forms of the evaluation pages. The per-indicator ratings (``f0``, ``f1``, ...) and the
barrier codes vary with the competency, so the service reads and checks them; these forms
carry the CSRF token and the free text."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length

from lms.forms import BaseForm
from lms.http import form_int

TEXT_MAX = 2000


class SelfReportForm(BaseForm):
    example = TextAreaField(_l("An example: when and how did you apply it?"), validators=[Length(max=TEXT_MAX)])
    barrier_note = TextAreaField(_l("Anything more about what got in the way? (optional)"), validators=[Length(max=TEXT_MAX)])


class ObservationForm(BaseForm):
    note = TextAreaField(_l("Note (optional): what did you see?"), validators=[Length(max=TEXT_MAX)])
    evidence = FileField(_l("Evidence (optional: PDF, PNG, JPEG or WebP)"))


class GroupWindowForm(BaseForm):
    """An admin opens an evaluation for the librarians of some units."""

    units = SelectMultipleField(_l("Units (and the units below them)"), coerce=form_int,
                                validators=[InputRequired()])
    competency_id = SelectField(_l("Competency"), validators=[InputRequired()])
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on (last day)"), validators=[InputRequired()])
