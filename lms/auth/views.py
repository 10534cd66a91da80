"""Sign in, sign out, and the signed-in user's own account."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import get_locale, ngettext
from flask_login import current_user

from lms.auth import services, sessions
from lms.auth.access import authenticated, public
from lms.auth.forms import (ConfirmForm, ForgotPasswordForm, LoginForm, PasswordChangeForm, PreferencesForm,
                             ReauthenticateForm, ResetPasswordForm)
from lms.security import is_safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        result = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        if result.wait_seconds:
            return _wait_response("auth/login.html", form, result.wait_seconds)
        if result.user is None:
            flash(_("The username or password is not correct."), "error")
            status = 401
        else:
            services.sign_in(result.user, remember=form.remember.data)
            target = form.next.data if is_safe_next(form.next.data) else url_for("core.home")
            return redirect(target)
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a reset link. The answer is the same page, status and text whether or not the
    name or address belongs to an account (services.request_password_reset)."""
    from lms.mail import services as mail

    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    form = ForgotPasswordForm()
    status = 200
    if not mail.enabled():
        return render_template("auth/forgot_password.html", form=None, unavailable=True)
    if form.validate_on_submit():
        wait = services.request_password_reset(form.identifier.data, request.remote_addr)
        if wait:
            flash(_wait_requests_message(wait), "error")
            response = make_response(render_template("auth/forgot_password.html", form=form), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        return render_template("auth/forgot_password.html", form=None, sent=True)
    if request.method == "POST":
        status = 400
    return render_template("auth/forgot_password.html", form=form), status


def _wait_requests_message(seconds: int) -> str:
    minutes = -(-seconds // 60)
    return ngettext("Too many requests from this network. Please wait %(num)d minute and try again.",
                    "Too many requests from this network. Please wait %(num)d minutes and try again.", minutes)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password through the e-mailed link; then sign in with it."""
    user = services.password_reset_user(token)
    form = ResetPasswordForm()
    status = 200
    if user is None:
        form, status = None, 400
    elif form.validate_on_submit():
        try:
            services.reset_password_with_token(token, form.new_password.data, request.remote_addr)
        except services.ServiceError as error:
            getattr(form, error.field or "new_password").errors.append(str(error))
            status = 400
        else:
            flash(_("Your password has been changed. Sign in with your new password."), "success")
            return redirect(url_for("auth.login"))
    elif request.method == "POST":
        status = 400
    response = make_response(render_template("auth/reset_password.html", form=form, user=user), status)
    # The token is in the address: no Referer carries it away, no cache keeps the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _wait_response(template: str, form, seconds: int):
    """A throttled password check: the form again with the wait, 429 and ``Retry-After``."""
    flash(_wait_message(seconds), "error")
    response = make_response(render_template(template, form=form), 429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _wait_message(seconds: int) -> str:
    """The "wait N seconds" refusal, in minutes when that is easier to read."""
    if seconds <= 90:
        return ngettext("Too many failed sign-ins. Please wait %(num)d second and try again.",
                        "Too many failed sign-ins. Please wait %(num)d seconds and try again.", seconds)
    minutes = -(-seconds // 60)
    return ngettext("Too many failed sign-ins. Please wait %(num)d minute and try again.",
                    "Too many failed sign-ins. Please wait %(num)d minutes and try again.", minutes)


@bp.route("/logout", methods=["POST"])
@authenticated
def logout():
    services.sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/reauthenticate", methods=["GET", "POST"])
@authenticated
def reauthenticate():
    """The password prompt for a session restored from remember-me, before admin work."""
    form = ReauthenticateForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    status = 200
    if form.validate_on_submit():
        result = services.reauthenticate(current_user._get_current_object(), form.password.data,
                                         request.remote_addr)
        if result.wait_seconds:
            return _wait_response("auth/reauthenticate.html", form, result.wait_seconds)
        if result.user is None:
            form.password.errors.append(_("The password is not correct."))
            status = 401
        else:
            return redirect(form.next.data if is_safe_next(form.next.data) else url_for("core.home"))
    elif request.method == "POST":
        status = 400
    return render_template("auth/reauthenticate.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@authenticated
def account():
    # not chosen yet (""): the form shows the language the person reads now, their library's
    prefs = PreferencesForm(prefix="prefs", locale=current_user.locale or str(get_locale()))
    password_form = PasswordChangeForm(prefix="pw")
    status = 200
    if request.method == "POST":
        if "prefs-locale" in request.form:
            if prefs.validate_on_submit():
                services.set_locale(current_user, prefs.locale.data)
                flash(_("Your preferences are saved."), "success")
                return redirect(url_for("auth.account"))
            status = 400
        elif password_form.validate_on_submit():
            try:
                # the real object, not the proxy: login_user() stores it as the current user
                services.change_password(current_user._get_current_object(), password_form.current_password.data,
                                         password_form.new_password.data)
            except services.ServiceError as error:
                getattr(password_form, error.field or "current_password").errors.append(str(error))
                status = 400
            else:
                flash(_("Your password has been changed."), "success")
                return redirect(url_for("core.home"))
        else:
            status = 400
    return render_template("auth/account.html", prefs=prefs, password_form=password_form,
                           sessions=sessions.live_sessions(current_user), this_session=sessions.current_hash(),
                           describe_agent=sessions.describe_agent,
                           end_others=ConfirmForm()), status


@bp.route("/account/sessions/end-others", methods=["POST"])
@authenticated
def end_other_sessions():
    """"Sign out everywhere else": every other browser and remember-me token of this user."""
    if ConfirmForm().validate_on_submit():
        count = services.end_other_sessions(current_user._get_current_object())
        flash(ngettext("%(num)d other session was signed out.", "%(num)d other sessions were signed out.", count),
              "success")
    else:
        flash(_("The form has expired or was not sent from this site. Please try again."), "error")
    return redirect(url_for("auth.account"))


def require_password_change():
    """Send users with a temporary password to change it before anything else."""
    if not getattr(current_user, "is_authenticated", False) or not current_user.must_change_password:
        return None
    allowed = {"auth.account", "auth.logout", "core.set_language", "core.healthz",
               "core.healthz_ping", "static"}
    if request.endpoint in allowed or request.endpoint is None:
        return None
    flash(_("Please choose a new password before you continue."), "info")
    return redirect(url_for("auth.account"))


def init_app(app) -> None:
    # Registered after the access check (lms/auth/access.py), which loads the user.
    app.before_request(sessions.touch)
    app.before_request(require_password_change)
    app.after_request(sessions.write_remember_cookie)
