"""The hello plugin's one form (CSRF from the product's BaseForm)."""
from __future__ import annotations

from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms.forms import BaseForm


class GreetingForm(BaseForm):
    text = StringField("Greeting", validators=[DataRequired(), Length(max=200)])
