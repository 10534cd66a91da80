"""The admins' page of failed (and unconfirmed) e-mails, with a retry button each."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from lms.auth.access import protect_blueprint
from lms.auth.forms import ConfirmForm
from lms.mail import services

bp = protect_blueprint(Blueprint("mail", __name__, url_prefix="/admin/mail"), "admin", fresh=True)


@bp.route("/")
def failed():
    return render_template("mail/failed.html", counts=services.counts(), failed=services.failed(),
                           unconfirmed=services.unconfirmed(), form=ConfirmForm())


@bp.route("/<int:message_id>/retry", methods=["POST"])
def retry(message_id: int):
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired or was not sent from this site. Please try again."), "error")
    elif services.retry(message_id):
        flash(_("The message is queued again."), "success")
    else:
        flash(_("That message is not waiting for a retry."), "info")
    return redirect(url_for("mail.failed"))
