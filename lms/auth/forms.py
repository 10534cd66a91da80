"""Sign-in and account forms. Labels are lazy so they follow the request's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from lms.forms import BaseForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(BaseForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class ReauthenticateForm(BaseForm):
    """The password alone, for a signed-in user whose session came from remember-me."""

    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password", "autofocus": True})
    next = HiddenField()


class PasswordChangeForm(BaseForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=256)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ForgotPasswordForm(BaseForm):
    identifier = StringField(_l("Username or e-mail address"), validators=[DataRequired(), Length(max=254)],
                             render_kw={"autocomplete": "username", "autocapitalize": "none"})


class ResetPasswordForm(BaseForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ConfirmForm(BaseForm):
    """A button that changes something: the CSRF token and nothing else."""


class PreferencesForm(BaseForm):
    locale = SelectField(_l("Language"), choices=[SelectChoice("id", "Bahasa Indonesia"), SelectChoice("en", "English")])
