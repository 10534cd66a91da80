"""Forms for authoring modules in the browser."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from lms.forms import BaseForm

MAX_MODULE_CHARS = 400_000


class ModuleEditForm(BaseForm):
    source = TextAreaField(_l("Module Markdown"), validators=[DataRequired(), Length(max=MAX_MODULE_CHARS)],
                           render_kw={"rows": 30, "spellcheck": "true"})


class NewModuleForm(BaseForm):
    slug = StringField(_l("Short name (for the address)"), validators=[
        DataRequired(), Length(max=60),
        Regexp(r"^[a-z0-9][a-z0-9-]*$", message=_l("Lowercase letters, digits and hyphens only."))])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])


class CourseSharingForm(BaseForm):
    """Who sees a course: every library ("" = shared) or one organisation (its unit id). The
    choices are the organisations the editor may act for (services.organisation_choices)."""

    organisation = SelectField(_l("Who sees this course"), choices=[], validate_choice=True)
