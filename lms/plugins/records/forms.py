"""Forms of the training-record pages. Every POST carries a CSRF token; the person and
competency choices are filled by the view, so a tampered id is refused."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from lms.forms import BaseForm
from lms.http import form_int
from lms.plugins.records.models import MAX_JP

KIND_LABELS = {
    "seminar": _l("Seminar"),
    "workshop": _l("Workshop"),
    "exchange": _l("Exchange programme"),
    "conference": _l("Conference"),
    "association": _l("Association meeting"),
    "course": _l("Course"),
    "other": _l("Other"),
}


def _optional_str(value):
    return value or None


class RecordForm(BaseForm):
    user_id = SelectField(_l("Person"), coerce=form_int, validators=[InputRequired()])
    kind = SelectField(_l("Type of training"), choices=[SelectChoice(key, label) for key, label in KIND_LABELS.items()], validators=[InputRequired()])
    provider = StringField(_l("Provider"), validators=[DataRequired(), Length(max=200)])
    topic = StringField(_l("Topic or material"), validators=[DataRequired(), Length(max=300)])
    start_on = DateField(_l("Start date"), validators=[InputRequired()])
    end_on = DateField(_l("End date"), validators=[InputRequired()])
    jp = DecimalField(_l("JP (training hours)"), places=1, validators=[
        InputRequired(), NumberRange(max=MAX_JP, message=_l("JP must be more than 0 and at most %(max)s.",
                                                          max=f"{MAX_JP:g}"))])
    competency_id = SelectField(_l("Competency (optional)"), coerce=_optional_str, validators=[Optional()])
    evidence = FileField(_l("Evidence (certificate, letter: PDF, PNG, JPEG or WebP)"))

    def validate_jp(self, field):
        if field.data is not None and field.data <= 0:
            raise ValidationError(_l("JP must be more than 0 and at most %(max)s.", max=f"{MAX_JP:g}"))

    def validate_end_on(self, field):
        if field.data and self.start_on.data and field.data < self.start_on.data:
            raise ValidationError(_l("The end date cannot be before the start date."))


class NewRecordForm(RecordForm):
    evidence = FileField(_l("Evidence (certificate, letter: PDF, PNG, JPEG or WebP)"),
                         validators=[FileRequired(_l("Attach the evidence file."))])


class TokenForm(BaseForm):
    """Verify and delete: nothing but the CSRF token."""


class RejectForm(BaseForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give a reason for the rejection.")),
                                                     Length(max=2000)])
