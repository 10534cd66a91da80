"""Forms of the board pages: a board (admins), a new board thread, and a review meeting.

Choices that depend on the user (units, link targets) are filled by the views; the
services check every submitted value again, so a tampered id gets a clear message.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.auth.labels import ROLE_LABELS
from lms.auth.models import ROLES
from lms.forms import BaseForm
from lms.http import form_int
from lms.plugins.discussions.boards import DESCRIPTION_MAX, NAME_MAX
from lms.plugins.discussions.meetings import PLACE_MAX

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class BoardForm(BaseForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=NAME_MAX)])
    description = TextAreaField(_l("Description"), validators=[Length(max=DESCRIPTION_MAX)])
    unit_ids = SelectMultipleField(_l("Units (none: the whole library)"), coerce=form_int, validate_choice=False,
                                   render_kw={"size": 6})
    roles = CheckboxList(_l("Roles (none: everyone)"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
                         validate_choice=False)


class BoardThreadForm(BaseForm):
    """A new discussion on a board; the size limits are the services' (clear messages)."""

    title = StringField(_l("Title"), validators=[InputRequired()])
    body = TextAreaField(_l("Message"), validators=[InputRequired()], render_kw={"rows": 8})


class MeetingForm(BaseForm):
    """Scheduling a meeting: title, when (library time), where, agenda, a linked record."""

    title = StringField(_l("Title"), validators=[InputRequired()])
    meeting_at = DateTimeLocalField(_l("Date and time"), format=DATETIME_FORMATS,
                                    validators=[InputRequired(message=_l("Give the date and time of the meeting."))])
    place = StringField(_l("Place"), validators=[Length(max=PLACE_MAX)])
    agenda = TextAreaField(_l("Agenda"), validators=[InputRequired()], render_kw={"rows": 8})
    link = SelectField(_l("Data discussed"), validate_choice=False)


class MeetingRecordForm(BaseForm):
    """The record after (or before) the meeting: minutes, decisions, and moving it."""

    meeting_at = DateTimeLocalField(_l("Date and time"), format=DATETIME_FORMATS,
                                    validators=[InputRequired(message=_l("Give the date and time of the meeting."))])
    place = StringField(_l("Place"), validators=[Length(max=PLACE_MAX)])
    minutes = TextAreaField(_l("Minutes"), render_kw={"rows": 10})
    decisions = TextAreaField(_l("Decisions"), render_kw={"rows": 6})
    link = SelectField(_l("Data discussed"), validate_choice=False)
