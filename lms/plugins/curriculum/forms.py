"""Forms of the curriculum pages. Every POST carries a CSRF token; item and module ids are
checked again by the services, so a tampered id is refused with a clear message."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField
from wtforms.validators import AnyOf, InputRequired, Optional

from lms.forms import BaseForm
from lms.http import form_int

ITEM_ACTIONS = ("remove", "up", "down", "due")


class TokenForm(BaseForm):
    """Propose, approve and discard: nothing but the CSRF token."""


class ItemForm(BaseForm):
    """One change to one item of a draft: remove it, move it, or change its due date."""

    item_id = IntegerField(validators=[InputRequired()])
    action = HiddenField(validators=[InputRequired(), AnyOf(ITEM_ACTIONS)])
    due_on = DateField(_l("Due date"), validators=[Optional()])


class AddModuleForm(BaseForm):
    """Add a module for everyone in scope; the choices are the active modules."""

    module_id = SelectField(_l("Module"), coerce=form_int, validators=[InputRequired()])
    due_on = DateField(_l("Due date"), validators=[Optional()])
