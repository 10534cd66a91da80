"""The reader's notifications: list them, mark some or all read."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import authenticated
from lms.http import int_list
from lms.plugins.notifications import services
from lms.plugins.notifications.forms import MarkReadForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.route("/")
@authenticated
def index():
    items = services.list_for(current_user.id, str(get_locale() or "id"))
    return render_template("notifications/index.html", items=items, form=MarkReadForm())


@bp.route("/read", methods=["POST"])
@authenticated
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        flash(_("The form has expired or was not sent from this site. Please try again."), "error")
        return redirect(url_for("notifications.index")), 303
    if request.form.get("all"):
        services.mark_read(current_user.id)
    else:
        ids = int_list(request.form.getlist("id"))
        services.mark_read(current_user.id, ids)  # someone else's ids match nothing
    return redirect(url_for("notifications.index"))
