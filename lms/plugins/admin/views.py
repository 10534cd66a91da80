"""Admin pages: thin views over ``lms.auth.services`` and ``lms.auth.importer``."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice
from sqlalchemy import select

from lms.audit import labels
from lms.auth import services as auth
from lms.auth.access import protect_blueprint, roles_required
from lms.auth.importer import import_users_csv
from lms.auth.labels import ORGANISATION_ROLE_LABELS
from lms.auth.models import ORGANISATION_ROLES, Unit, User
from lms.auth.scoping import AdminScope, admin_scope
from lms.extensions import db
from lms.http import int_arg
from lms.plugins.admin import services
from lms import logos, organisations
from lms.plugins.admin.forms import (ConfirmForm, ImportForm, LogoForm, NewOrganisationForm, OrganisationForm, UnitForm,
                                     UserForm)

# fresh: after a remember-me sign-in, managing users and units asks for the password again.
# Install-wide admins only, except the views marked ``scoped`` below: an organisation admin
# (docs/organisations.md, section 2) opens those, and each shows and changes only what
# ``_scope()`` holds - anything else answers 404 (an id) or a form error (a choice).
bp = protect_blueprint(Blueprint("admin", __name__, url_prefix="/admin"), "admin", fresh=True)
scoped_admin = roles_required("admin", scoped=True)


def _scope() -> AdminScope:
    """The signed-in admin's scope, read once a request."""
    if "lms_admin_scope" not in g:
        g.lms_admin_scope = admin_scope(current_user)
    return g.lms_admin_scope


def _unit_choices(blank_label: str | None) -> list[SelectChoice]:
    """Units as an indented tree (the admin's own for an organisation admin), after a "none"
    choice with value 0 when ``blank_label`` is given."""
    scope = _scope()
    units = auth.unit_choices() if scope.everything else services.units_in(scope)
    blank = [SelectChoice(0, blank_label)] if blank_label is not None else []
    return blank + [SelectChoice(u.id, "— " * u.depth + u.name) for u in units]


def _fill_user_form_choices(form: UserForm) -> None:
    """Fill the user form's choices from the admin's scope."""
    scope = _scope()
    form.unit_id.choices = _unit_choices(_("(no unit)") if scope.everything else None)
    form.supervised.choices = _unit_choices(None)
    form.roles.choices = [choice for choice in form.roles.choices if choice.value in scope.grantable_roles]
    libraries = [library for library in organisations.listing() if scope.has_organisation(library.unit_id)]
    form.library_roles.choices = [SelectChoice(f"{role}:{library.unit_id}", ORGANISATION_ROLE_LABELS[role])
                                  for library in libraries for role in ORGANISATION_ROLES]
    form.libraries = libraries


def _library_rows(form: UserForm) -> list[tuple]:
    """The library roles as rows (library, its checkboxes) for the template; built when the
    form's data are final, since each checkbox reads its checked state as it is made."""
    boxes = {box.data: box for box in form.library_roles}
    return [(library, [boxes[f"{role}:{library.unit_id}"] for role in ORGANISATION_ROLES])
            for library in form.libraries]


def _library_roles(form: UserForm) -> set[tuple[str, int]]:
    """The checked library roles as (role, organisation id) pairs (the choices were checked)."""
    pairs = set()
    for value in form.library_roles.data or []:
        role, _sep, organisation_id = value.partition(":")
        pairs.add((role, int(organisation_id)))
    return pairs


def _refuse_beyond_scope(form: UserForm, user: User | None) -> bool:
    """An organisation admin's posted choices outside their scope (an install-wide role, a
    unit or library that is not theirs, which the form never offered): audited, and each
    field gets a clear error. True when something was refused."""
    scope = _scope()
    if scope.everything or not _token_valid():
        return False
    posted_roles = set(request.form.getlist("roles")) - set(scope.grantable_roles)
    offered_libraries = {str(choice.value) for choice in form.library_roles.choices}
    posted_libraries = set(request.form.getlist("library_roles")) - offered_libraries
    offered_units = {str(choice.value) for choice in form.unit_id.choices}
    posted_unit = request.form.get("unit_id", "")
    unit_refused = posted_unit not in offered_units
    supervised_refused = bool(set(request.form.getlist("supervised")) - offered_units)
    if not (posted_roles or posted_libraries or unit_refused or supervised_refused):
        return False
    auth.refuse("beyond_scope", "user", user.id if user else None, roles=sorted(posted_roles),
                library_roles=sorted(posted_libraries), unit=posted_unit if unit_refused else None)
    if posted_roles:
        form.roles.errors = [_("Only an administrator of the whole install can give the roles %(roles)s.",
                               roles=", ".join(sorted(posted_roles)))]
    if posted_libraries:
        form.library_roles.errors = [_("You can give library roles only for your own libraries.")]
    if unit_refused:
        form.unit_id.errors = [_("Choose a unit of your own library.")]
    if supervised_refused:
        form.supervised.errors = [_("Choose units of your own library.")]
    return True


def _token_valid() -> bool:
    """The POST carries a valid CSRF token: only then is a refusal worth an audit entry (a
    forged cross-site request writes nothing, not even to the log)."""
    return ConfirmForm().validate_on_submit()


def _managed_user_or_404(user_id: int) -> User:
    """A person the signed-in admin manages; anyone else is "not found" to them."""
    user = db.get_or_404(User, user_id)
    if not _scope().has_user(user):
        abort(404)
    return user


def _changeable_or_403(user: User) -> None:
    """Refuse (audited) a change to an account with power beyond the admin's libraries."""
    if _scope().beyond(user):
        if _token_valid():
            auth.refuse("account_beyond_scope", "user", user.id)
        abort(403)


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
@scoped_admin
def users():
    args = request.args
    unit_id = int_arg("unit")
    scope = _scope()
    query = services.user_query(args.get("q", ""), unit_id, args.get("role", ""), args.get("status", ""), scope)
    page = db.paginate(query, page=int_arg("page", 1, min=1), per_page=50, error_out=False)
    units = auth.unit_choices() if scope.everything else services.units_in(scope)
    return render_template("admin/users.html", page=page, units=units, args=args, confirm=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
@scoped_admin
def user_new():
    form = UserForm(locale="", roles=["librarian"])
    _fill_user_form_choices(form)
    status = 200
    submitted = form.validate_on_submit()
    if request.method == "POST" and _refuse_beyond_scope(form, None):
        status = 400
    elif submitted:
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
                    supervised_ids=form.supervised.data, organisation_roles=_library_roles(form),
                    within=None if _scope().everything else _scope().organisation_ids)
                if not form.password.data:
                    return _show_temporary_password(user, password, created=True)
                flash(_("Account %(name)s created.", name=user.username), "success")
                return redirect(url_for("admin.users"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=None, library_rows=_library_rows(form),
                           scope=_scope()), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@scoped_admin
def user_edit(user_id: int):
    user = _managed_user_or_404(user_id)
    scope = _scope()
    locked = scope.beyond(user)
    if request.method == "POST" and locked:
        _changeable_or_403(user)
    form = UserForm(obj=user)
    _fill_user_form_choices(form)
    if request.method == "GET":
        form.roles.data = sorted(user.role_names)
        form.unit_id.data = user.unit_id or 0
        form.supervised.data = [unit.id for unit in user.supervised_units]
        form.library_roles.data = [f"{role}:{organisation_id}"
                                   for role, organisation_id in sorted(auth.organisation_role_pairs(user))]
    del form.password
    form.username.render_kw = {"readonly": True}
    status = 200
    submitted = form.validate_on_submit()
    if request.method == "POST" and _refuse_beyond_scope(form, user):
        status = 400
    elif submitted:
        if form.username.data.strip().lower() != user.username:
            abort(400)  # usernames are fixed; a changed value means a forged form
        roles = form.roles.data
        own_libraries = {pair for pair in auth.organisation_role_pairs(user) if pair[0] == "admin"}
        if user.id == current_user.id and scope.everything and "admin" not in roles:
            form.roles.errors.append(_("You cannot remove your own administrator role."))
        elif user.id == current_user.id and not scope.everything and not own_libraries <= _library_roles(form):
            form.library_roles.errors.append(_("You cannot remove your own administrator role."))
        elif _nip_taken(form.nip.data, user):
            form.nip.errors.append(_("This NIP already belongs to another user."))
        else:
            auth.update_user(user, full_name=form.full_name.data, email=form.email.data, nip=form.nip.data,
                             position=form.position.data, locale=form.locale.data, roles=roles,
                             unit=services.unit_by_id(form.unit_id.data),
                             supervised=[db.session.get(Unit, uid) for uid in form.supervised.data],
                             organisation_roles=_library_roles(form),
                             within=None if scope.everything else scope.organisation_ids)
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/user_form.html", form=form, user=user, confirm=ConfirmForm(),
                           library_rows=_library_rows(form), scope=scope, locked=locked), status


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@scoped_admin
def user_set_active(user_id: int):
    user = _managed_user_or_404(user_id)
    _changeable_or_403(user)
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
@scoped_admin
def user_reset_password(user_id: int):
    user = _managed_user_or_404(user_id)
    _changeable_or_403(user)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _show_temporary_password(user, auth.reset_password(user), created=False)


@bp.route("/users/import", methods=["GET", "POST"])
@scoped_admin
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
            scope = _scope()
            result = import_users_csv(data, scope=None if scope.everything else scope)
            status = 200 if result.ok else 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/import.html", form=form, result=result), status


@bp.route("/units")
@scoped_admin
def units():
    scope = _scope()
    return render_template("admin/units.html", units=auth.unit_choices() if scope.everything
                           else services.units_in(scope))


def _parent_choices(unit: Unit | None) -> list[SelectChoice]:
    """Where a unit may be placed: anywhere for an install-wide admin; for an organisation
    admin inside their libraries only - a new top-level unit would be a new library - or
    where it already is (their own library's unit sits below units they do not manage)."""
    if _scope().everything:
        return _unit_choices(_("(top level)"))
    choices = _unit_choices(None)
    if unit is not None and not _scope().has_unit(unit.parent_id):
        current = [SelectChoice(unit.parent_id or 0, unit.parent.name if unit.parent else _("(top level)"))]
        choices = current + choices
    return choices


def _unit_form(unit: Unit | None):
    form = UnitForm(obj=unit)
    form.parent_id.choices = _parent_choices(unit)
    if request.method == "GET" and unit is not None:
        form.parent_id.data = unit.parent_id or 0
    status = 200
    submitted = form.validate_on_submit()
    if request.method == "POST" and not _scope().everything and _token_valid() and \
            request.form.get("parent_id", "") not in {str(choice.value) for choice in form.parent_id.choices}:
        auth.refuse("beyond_scope", "unit", unit.id if unit else None, parent=request.form.get("parent_id"))
        form.parent_id.errors = [_("Choose a unit of your own library.")]
        status = 400
    elif submitted:
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
@scoped_admin
def unit_new():
    return _unit_form(None)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@scoped_admin
def unit_edit(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    if not _scope().has_unit(unit.id):
        abort(404)
    return _unit_form(unit)


@bp.route("/organisations")
@scoped_admin
def organisations_list():
    """The libraries in this install (an organisation admin: theirs) and, for an
    install-wide admin, the form to mark another unit as one."""
    scope = _scope()
    form = NewOrganisationForm()
    form.unit_id.choices = [SelectChoice(unit.id, "— " * unit.depth + unit.name)
                            for unit in organisations.unmarked_units()] if scope.everything else []
    listed = [library for library in organisations.listing() if scope.has_organisation(library.unit_id)]
    return render_template("admin/organisations.html", organisations=listed, form=form)


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
@scoped_admin
def organisation_edit(unit_id: int):
    if not _scope().has_organisation(unit_id):
        abort(404)
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
@scoped_admin
def organisation_logo(unit_id: int):
    """Upload a new logo; a refused file is named on the settings page and nothing changes."""
    if not _scope().has_organisation(unit_id):
        abort(404)
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
@scoped_admin
def organisation_logo_remove(unit_id: int):
    """Show no logo from now on; certificates already issued keep theirs."""
    if not _scope().has_organisation(unit_id):
        abort(404)
    organisation = db.get_or_404(organisations.Organisation, unit_id)
    if not ConfirmForm(prefix="remove").validate_on_submit():
        abort(400)
    organisations.remove_logo(organisation)
    flash(_("The logo of %(name)s was removed.", name=organisation.full_name), "success")
    return redirect(url_for("admin.organisation_edit", unit_id=unit_id))


@bp.route("/audit")
@scoped_admin
def audit():
    page = db.paginate(services.audit_query(request.args.get("action", ""), _scope()), page=int_arg("page", 1, min=1),
                       per_page=100, error_out=False)
    return render_template("admin/audit.html", page=page, scoped=not _scope().everything,
                           action_label=labels.action_label,
                           target_label=labels.target_label, detail_text=labels.detail_text)
