"""Forms of the learning plugin: a new assignment and the delete button."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, ValidationError

from lms.forms import BaseForm


class AssignmentForm(BaseForm):
    """Subject ``course:<id>`` or ``module:<id>``; target ``user:<id>``, ``unit:<id>`` or
    ``position:<name>``. The view fills the choices with what the viewer may pick, so a
    tampered value is "Not a valid choice"."""

    subject = SelectField(_l("Course or module"), validators=[InputRequired()])
    target = SelectField(_l("Assign to"), validators=[InputRequired()])
    due_on = DateField(_l("Due date"), validators=[InputRequired()])

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_due_on(self, field):
        if field.data and self.today and field.data < self.today:
            raise ValidationError(_l("The due date cannot be in the past."))


class DeleteForm(BaseForm):
    """Only the CSRF token."""
