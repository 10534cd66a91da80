"""The erasure confirmation: the admin types the username, as a guard against a wrong click."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired

from lms.forms import BaseForm


class EraseForm(BaseForm):
    confirm_username = StringField(_l("Type the username to confirm"), validators=[DataRequired()])
