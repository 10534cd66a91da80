"""The reader's notifications: list them, open one (which marks it read), mark some or all
read, and choose which reach them by e-mail. Every view acts on the signed-in person's own
notifications and preferences only; no view takes a user id."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms.auth.access import authenticated
from lms.http import int_list
from lms.mail import services as mail
from lms.plugins.notifications import preferences, services
from lms.plugins.notifications.forms import MarkReadForm, field_name, preferences_form

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


@bp.route("/<int:notification_id>")
@authenticated
def open_notification(notification_id: int):
    """Mark the notification read and go to what it is about.

    A GET, as in Moodle (``message/output/popup/mark_notification_read.php``) and Canvas
    (opening a conversation marks it read): the link must work as a plain link, opened in
    a new tab or from the browser's history. That is safe here because the only change is
    idempotent and harmless - the signed-in person's own notification becomes read, again
    and again the same - and the target is the path stored with the notification (checked
    to be local when it was made and again now), never a request parameter, so the view
    cannot be used to send anyone off-site. Someone else's notification is a 404.
    """
    target = services.open_notification(current_user.id, notification_id)
    if target is None:
        abort(404)
    return redirect(target)


@bp.route("/preferences", methods=["GET", "POST"])
@authenticated
def preferences_page():
    """One radio group per kind: e-mail immediately, in the daily digest, or never."""
    kinds = preferences.kinds()
    form = preferences_form(kinds, preferences.choices_for(current_user.id))
    status = 200
    if form.validate_on_submit():
        preferences.save(current_user.id, {key: form[field_name(key)].data for key in kinds})
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("notifications.preferences_page"))
    if request.method == "POST":
        status = 400
    return render_template("notifications/preferences.html", form=form, kinds=kinds, field_name=field_name,
                           email_on=mail.enabled(), has_address=bool(current_user.email)), status
