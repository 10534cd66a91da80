"""Admin forms for users, units and the CSV import."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from lms.forms import BaseForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, SelectField, SelectMultipleField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from lms.auth.labels import KIND_LABELS, ROLE_LABELS
from lms.auth.models import ROLES, UNIT_KINDS
from lms.auth.services import EMAIL_RE, MIN_PASSWORD_LENGTH
from lms.organisations import NIP_RE
from lms.http import form_int


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(BaseForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=2, max=64),
        Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", message=_l("Letters, digits, dot, hyphen or underscore only."))])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    # The same rule as the CSV import (wtforms' Email() needs email_validator, not a dependency).
    email = EmailField(_l("E-mail (optional)"), validators=[
        Optional(), Length(max=254), Regexp(EMAIL_RE, message=_l("Enter a valid e-mail address."))])
    nip = StringField(_l("NIP / staff number (optional)"), validators=[Optional(), Length(max=32)])
    position = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=120)])
    # "": not chosen - the person reads their library's default language (lms.i18n)
    locale = SelectField(_l("Language"), choices=[SelectChoice("", _l("The library's default language")),
                                                  SelectChoice("id", "Bahasa Indonesia"),
                                                  SelectChoice("en", "English")])
    roles = CheckboxList(_l("Roles"), choices=[SelectChoice(role, ROLE_LABELS[role]) for role in ROLES],
                         validators=[DataRequired(message=_l("Choose at least one role."))])
    unit_id = SelectField(_l("Unit"), coerce=form_int, validate_choice=True)
    supervised = CheckboxList(_l("Supervises these units (and all below them)"), coerce=form_int)
    # "admin:<organisation id>" / "trainer:<organisation id>": roles held for one library only
    # (the view fills the choices with the libraries the signed-in admin manages).
    library_roles = CheckboxList(_l("Roles in one library"))
    password = PasswordField(_l("Temporary password (the user must change it)"),
                             validators=[Optional(), Length(min=MIN_PASSWORD_LENGTH, max=256)],
                             render_kw={"autocomplete": "new-password"})


class UnitForm(BaseForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in UNIT_KINDS])
    parent_id = SelectField(_l("Part of"), coerce=form_int, validate_choice=True)
    active = BooleanField(_l("Active"), default=True)


class OrganisationForm(BaseForm):
    """A library's own settings (lms.organisations validates them again on save)."""

    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    short_name = StringField(_l("Short name"), validators=[DataRequired(), Length(max=80)])
    time_zone = SelectField(_l("Time zone"))
    jp_target = IntegerField(_l("Yearly JP target per librarian"),
                             validators=[InputRequired(), NumberRange(min=0, max=500)])
    default_locale = SelectField(_l("Default language"),
                                 choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")])
    signatory_name = StringField(_l("Certificate signatory: name with titles"), validators=[Length(max=200)])
    signatory_position = StringField(_l("Certificate signatory: position"), validators=[Length(max=200)])
    signatory_nip = StringField(_l("Certificate signatory: NIP"), validators=[
        Optional(), Regexp(NIP_RE, message=_l("A NIP has 18 digits."))])
    email_signature = TextAreaField(_l("E-mail signature"), validators=[Length(max=500)])


class LogoForm(BaseForm):
    """A library's logo: checked by its content and re-encoded by lms.logos, whatever its name."""

    logo = FileField(_l("Logo file"), validators=[FileRequired()],
                     render_kw={"accept": "image/png,image/jpeg,image/webp"})


class NewOrganisationForm(BaseForm):
    unit_id = SelectField(_l("Unit"), coerce=form_int, validate_choice=True)


class ImportForm(BaseForm):
    file = FileField(_l("CSV file"), validators=[FileRequired()])


class ConfirmForm(BaseForm):
    """An empty form: only its CSRF token matters (for buttons that change state)."""
