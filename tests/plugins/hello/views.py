"""The hello plugin's blueprint and thin views. Its templates travel with it
(``templates/hello/...``), found by Flask through the blueprint, never copied into the
product's ``templates/``."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from lms.auth.access import roles_required

from . import services
from .forms import GreetingForm

bp = Blueprint("hello", __name__, url_prefix="/hello", template_folder="templates")


@bp.route("/")
@roles_required("librarian")
def index():
    return "Hello from a plugin"


@bp.route("/greetings", methods=["GET", "POST"])
@roles_required("librarian")
def greetings():
    """Leave a greeting in the plugin's own table and read the newest ones back."""
    form = GreetingForm()
    if form.validate_on_submit():
        services.add_greeting(current_user.id, form.text.data)
        return redirect(url_for("hello.greetings"))
    return render_template("hello/greetings.html", form=form, greetings=services.recent_greetings())
