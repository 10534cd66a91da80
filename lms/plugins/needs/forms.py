"""Forms of the needs pages: the round form, the module feedback form, and a token-only form
for the survey pages (their per-competency radio groups are read by
:func:`lms.plugins.needs.rounds.parse_answers`, since the items come from the instrument)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.forms import BaseForm
from lms.http import form_int
from lms.plugins.needs.feedback import COMMENT_MAX

SCALE_CHOICES = [SelectChoice(n, str(n)) for n in range(1, 6)]


def optional_int(value):
    """Coerce a select's value: "" or None -> None, else an id (ValueError if not one)."""
    if value in ("", None):
        return None
    return form_int(value)


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoundForm(BaseForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on (inclusive)"), validators=[InputRequired()])
    # Choices are filled by the view; the service checks the kind of each survey and the
    # units, so a tampered id gets its own clear message.
    self_survey_id = SelectField(_l("Self-assessment"), coerce=optional_int, validate_choice=False)
    supervisor_survey_id = SelectField(_l("Supervisor rating"), coerce=optional_int, validate_choice=False)
    patron_survey_id = SelectField(_l("Patron survey"), coerce=optional_int, validate_choice=False)
    unit_ids = CheckboxList(_l("Units (none: the whole organisation)"), coerce=form_int, validate_choice=False)


class AnswersForm(BaseForm):
    """Only the CSRF token; the answers are read from the request by the service."""


class FeedbackForm(BaseForm):
    useful = RadioField(_l("How useful was this module for my work?"), coerce=int, choices=SCALE_CHOICES,
                        validators=[InputRequired(message=_l("Please choose a value from 1 to 5."))])
    clear = RadioField(_l("How clear was it?"), coerce=int, choices=SCALE_CHOICES,
                       validators=[InputRequired(message=_l("Please choose a value from 1 to 5."))])
    applicable = RadioField(_l("How much of it can I apply in my work?"), coerce=int, choices=SCALE_CHOICES,
                            validators=[InputRequired(message=_l("Please choose a value from 1 to 5."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=COMMENT_MAX)])
