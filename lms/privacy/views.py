"""The privacy page, a person's own data download, and an admin's erasure and download."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import authenticated, protect_blueprint, public
from lms.auth.forms import ConfirmForm
from lms.auth.models import User
from lms.extensions import db
from lms.privacy import services
from lms.privacy.forms import EraseForm

bp = Blueprint("privacy", __name__)
# Admin work on a person's data: a fresh sign-in on every view, as for the other admin pages.
admin_bp = protect_blueprint(Blueprint("privacy_admin", __name__, url_prefix="/admin/users"), "admin", fresh=True)


@bp.route("/privacy")
@bp.route("/privasi")
@public
def page():
    """What Pembina keeps about people, why, for how long, and how to ask (UU PDP)."""
    config = current_app.config
    retention = {name: services.retention_days(name) for name in services.RETENTION_DEFAULTS}
    return render_template("privacy/page.html", retention=retention,
                           contact=config.get("PRIVACY_CONTACT", ""), controller=config.get("PRIVACY_CONTROLLER", ""))


def _download(user: User):
    download = services.build_download(user)
    services.record_download(user, current_user._get_current_object())
    name = f"pembina-data-{user.id}.zip"
    return send_file(download.file, mimetype="application/zip", as_attachment=True, download_name=name,
                     max_age=0)


@bp.route("/account/data", methods=["POST"])
@authenticated
def download():
    """"Download my data": everything held about the signed-in person, as a zip."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    response = _download(current_user._get_current_object())
    response.headers["Cache-Control"] = "no-store"
    return response


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@admin_bp.route("/<int:user_id>/data", methods=["POST"])
def admin_download(user_id: int):
    """A person's data, taken by an admin at their request (audited as taken by the admin)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    response = _download(_person(user_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@admin_bp.route("/<int:user_id>/erase", methods=["GET", "POST"])
def erase(user_id: int):
    """Erase a person on their request, after the admin types their username."""
    user = _person(user_id)
    form = EraseForm()
    status = 200
    erased = services.erased_at(user.id)
    if erased is None and form.validate_on_submit():
        if form.confirm_username.data.strip().lower() != user.username:
            form.confirm_username.errors.append(_("That is not this person's username."))
            status = 400
        else:
            try:
                done = services.erase(user, current_user._get_current_object())
            except services.PrivacyError as error:
                form.confirm_username.errors.append(str(error))
                status = 400
            else:
                flash(_("The account was erased: it is now %(name)s.", name=done.pseudonym), "success")
                return redirect(url_for("admin.user_edit", user_id=user.id))
    elif request.method == "POST":
        status = 400
    return render_template("privacy/erase.html", user=user, erased=erased, form=form, download=ConfirmForm()), status
