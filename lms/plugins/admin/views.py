"""Admin pages: thin views over ``lms.auth.services`` and ``lms.auth.importer``."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import select

from lms.audit import labels
from lms.auth import services as auth
from lms.auth.access import protect_blueprint
from lms.auth.importer import import_users_csv
from lms.auth.models import Unit, User
from lms.extensions import db
from lms.http import int_arg
from lms.plugins.admin import services
from lms import logos, organisations
from lms.plugins.admin.forms import (ConfirmForm, ImportForm, LogoForm, NewOrganisationForm, OrganisationForm, UnitForm,
                                     UserForm)

# fresh: after a remember-me sign-in, managing users and units asks for the password again.
bp = protect_blueprint(Blueprint("admin", __name__, url_prefix="/admin"), "admin", fresh=True)


def _unit_choices(blank_label: str) -> list[SelectChoice]:
    """Units as an indented tree, after a "none" choice with value 0."""
    return [SelectChoice(0, blank_label)] + [SelectChoice(u.id, "— " * u.depth + u.name)
                                             for u in auth.unit_choices()]


def _fill_user_form_choices(form: UserForm) -> None:
    form.unit_id.choices = _unit_choices(_("(no unit)"))
    form.supervised.choices = _unit_choices("")[1:]


def _nip_taken(nip: str | None, user: User | None) -> bool:
    """True when another account already has this NIP (the column is unique)."""
    if not nip:
        return False
    other = db.session.scalar(select(User).where(User.nip == nip))
    return other is not None and (user is None or other.id != user.id)


def _show_temporary_password(user: User, password: str, *, created: bool):
    """Show a temporary password once, in the answer to the POST that made it.

    Not through ``flash()``: flashed messages live in the session cookie, which is signed but
    readable by anyone who sees the cookie (the browser's storage, a proxy's log). Nothing
    keeps the password after this response, which no cache may store; reloading asks to
    post again, which would issue another password.
    """
    response = make_response(render_template("admin/temporary_password.html", user=user, password=password,
                                             created=created))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users")
def users():
    args = request.args
    unit_id = int_arg("unit")
    query = services.user_query(args.get("q", ""), unit_id, args.get("role", ""), args.get("status", ""))
    page = db.paginate(query, page=int_arg("page", 1, min=1), per_page=50, error_out=False)
    return render_template("admin/users.html", page=page, units=auth.unit_choices(), args=args,
                           confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    form = UserForm(locale="", roles=["librarian"])
    _fill_user_form_choices(form)
    status = 200
    if form.validate_on_submit():
        username = form.username.data.strip().lower()
        if auth.find_user(username) is not None:
            form.username.errors.append(_("This username is already taken."))
        elif _nip_taken(form.nip.data, None):
            form.nip.errors.append(_("This NIP already belongs to another user."))
        else:
            problem = (auth.validate_password(form.password.data, username, form.full_name.data)
                       if form.password.data else None)
            if problem:
                form.password.errors.append(problem)
            else:
                password = form.password.data or auth.generate_password()
                user = services.create_account(
                    username=username, full_name=form.full_name.data, email=form.email.data,
                    nip=form.nip.data, position=form.position.data, roles=form.roles.data,
                    unit_id=form.unit_id.data, locale=form.locale.data, password=password,
                    supervised_ids=form.supervised.data)
                if not form.password.data:
                    return _show_temporary_password(user, password, created=True)
                flash(_("Account %(name)s created.", name=user.username), "success")
                return redirect(url_for("admin.users"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=None), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    _fill_user_form_choices(form)
    if request.method == "GET":
        form.roles.data = sorted(user.role_names)
        form.unit_id.data = user.unit_id or 0
        form.supervised.data = [unit.id for unit in user.supervised_units]
    del form.password
    form.username.render_kw = {"readonly": True}
    status = 200
    if form.validate_on_submit():
        if form.username.data.strip().lower() != user.username:
            abort(400)  # usernames are fixed; a changed value means a forged form
        roles = form.roles.data
        if user.id == current_user.id and "admin" not in roles:
            form.roles.errors.append(_("You cannot remove your own administrator role."))
        elif _nip_taken(form.nip.data, user):
            form.nip.errors.append(_("This NIP already belongs to another user."))
        else:
            auth.update_user(user, full_name=form.full_name.data, email=form.email.data, nip=form.nip.data,
                             position=form.position.data, locale=form.locale.data, roles=roles,
                             unit=services.unit_by_id(form.unit_id.data),
                             supervised=[db.session.get(Unit, uid) for uid in form.supervised.data])
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=user, confirm=ConfirmForm()), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def user_set_active(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    try:
        auth.set_active(user, active, actor=current_user)
    except auth.ServiceError as error:
        flash(str(error), "error")
    else:
        if active:
            flash(_("Account %(name)s is active again.", name=user.username), "success")
        else:
            flash(_("Account %(name)s is deactivated. Their learning records are kept.", name=user.username),
                  "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-password", methods=["POST"])
def user_reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _show_temporary_password(user, auth.reset_password(user), created=False)


@bp.route("/users/import", methods=["GET", "POST"])
def users_import():
    form = ImportForm()
    result = None
    status = 200
    if form.validate_on_submit():
        data = form.file.data.read(current_app.config["USER_IMPORT_MAX_BYTES"] + 1)
        if len(data) > current_app.config["USER_IMPORT_MAX_BYTES"]:
            form.file.errors.append(_("The file is too large."))
            status = 400
        else:
            result = import_users_csv(data)
            status = 200 if result.ok else 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/import.html", form=form, result=result), status


@bp.route("/units")
def units():
    return render_template("admin/units.html", units=auth.unit_choices())


def _unit_form(unit: Unit | None):
    form = UnitForm(obj=unit)
    form.parent_id.choices = _unit_choices(_("(top level)"))
    if request.method == "GET" and unit is not None:
        form.parent_id.data = unit.parent_id or 0
    status = 200
    if form.validate_on_submit():
        try:
            auth.save_unit(unit, code=form.code.data, name=form.name.data, kind=form.kind.data,
                           parent=services.unit_by_id(form.parent_id.data), active=form.active.data)
        except auth.ServiceError as error:
            getattr(form, error.field or "code").errors.append(str(error))
            status = 400
        else:
            flash(_("Unit %(name)s saved.", name=form.name.data), "success")
            return redirect(url_for("admin.units"))
    elif request.method == "POST":
        status = 400
    return render_template("admin/unit_form.html", form=form, unit=unit), status


@bp.route("/units/new", methods=["GET", "POST"])
def unit_new():
    return _unit_form(None)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    return _unit_form(db.get_or_404(Unit, unit_id))


@bp.route("/organisations")
def organisations_list():
    """The libraries in this install and the form to mark another unit as one."""
    form = NewOrganisationForm()
    form.unit_id.choices = [SelectChoice(unit.id, "— " * unit.depth + unit.name)
                            for unit in organisations.unmarked_units()]
    return render_template("admin/organisations.html", organisations=organisations.listing(), form=form)


@bp.route("/organisations/new", methods=["POST"])
def organisation_new():
    form = NewOrganisationForm()
    form.unit_id.choices = [SelectChoice(unit.id, unit.name) for unit in organisations.unmarked_units()]
    if not form.validate_on_submit():
        flash(_("Choose a unit that is not a library yet."), "error")
        return redirect(url_for("admin.organisations_list"))
    organisation = organisations.create(form.unit_id.data)
    flash(_("%(name)s is now a library with its own settings.", name=organisation.full_name), "success")
    return redirect(url_for("admin.organisation_edit", unit_id=organisation.unit_id))


@bp.route("/organisations/<int:unit_id>", methods=["GET", "POST"])
def organisation_edit(unit_id: int):
    organisation = db.get_or_404(organisations.Organisation, unit_id)
    form = OrganisationForm(obj=organisation)
    form.time_zone.choices = organisations.time_zones()
    if request.method == "GET":
        form.jp_target.data = round(organisation.jp_target)
    status = 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in organisations.SETTINGS}
        values["jp_target"] = float(values["jp_target"])
        try:
            organisations.save_settings(organisation, **values)
        except organisations.OrganisationError as error:
            getattr(form, error.field or "full_name").errors.append(str(error))
            status = 400
        else:
            flash(_("Settings of %(name)s saved.", name=organisation.full_name), "success")
            return redirect(url_for("admin.organisations_list"))
    elif request.method == "POST":
        status = 400
    return _organisation_page(organisation, form, LogoForm(), status)


def _organisation_page(organisation, form, logo_form, status: int):
    return render_template("admin/organisation_form.html", organisation=organisation, form=form,
                           logo_form=logo_form, remove_form=ConfirmForm(prefix="remove"),
                           max_kb=logos.limits()[0] // 1024), status


@bp.route("/organisations/<int:unit_id>/logo", methods=["POST"])
def organisation_logo(unit_id: int):
    """Upload a new logo; a refused file is named on the settings page and nothing changes."""
    organisation = db.get_or_404(organisations.Organisation, unit_id)
    logo_form = LogoForm()
    if logo_form.validate_on_submit():
        data = logo_form.logo.data.read(logos.limits()[0] + 1)
        try:
            organisations.set_logo(organisation, data)
        except logos.LogoRefused as error:
            logo_form.logo.errors.append(str(error))
        else:
            flash(_("The logo of %(name)s was saved.", name=organisation.full_name), "success")
            return redirect(url_for("admin.organisation_edit", unit_id=unit_id))
    form = OrganisationForm(obj=organisation, formdata=None)
    form.time_zone.choices = organisations.time_zones()
    form.jp_target.data = round(organisation.jp_target)
    return _organisation_page(organisation, form, logo_form, 400)


@bp.route("/organisations/<int:unit_id>/logo/remove", methods=["POST"])
def organisation_logo_remove(unit_id: int):
    """Show no logo from now on; certificates already issued keep theirs."""
    organisation = db.get_or_404(organisations.Organisation, unit_id)
    if not ConfirmForm(prefix="remove").validate_on_submit():
        abort(400)
    organisations.remove_logo(organisation)
    flash(_("The logo of %(name)s was removed.", name=organisation.full_name), "success")
    return redirect(url_for("admin.organisation_edit", unit_id=unit_id))


@bp.route("/audit")
def audit():
    page = db.paginate(services.audit_query(request.args.get("action", "")), page=int_arg("page", 1, min=1),
                       per_page=100, error_out=False)
    return render_template("admin/audit.html", page=page, action_label=labels.action_label,
                           target_label=labels.target_label, detail_text=labels.detail_text)
