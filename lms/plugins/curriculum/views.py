"""Curriculum pages: the active curriculum and its history, a version (with the draft's
diff, editing, approval), proposing from the latest closed round, the content-gap report."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth.access import roles_required
from lms.extensions import db
from lms.plugins.courses.services import shared_or
from lms.plugins.needs.models import NeedsRound
from lms.plugins.curriculum import gaps, proposals, services
from lms.plugins.curriculum.forms import AddModuleForm, ItemForm, TokenForm
from lms.plugins.curriculum.models import ALL, DRAFT, UNIT
from lms.plugins.curriculum.services import VIEW_ROLES, CurriculumError

bp = Blueprint("curriculum", __name__, url_prefix="/curriculum")


def _locale() -> str:
    return str(get_locale() or "id")


def _user():
    return current_user._get_current_object()


def _version_or_404(version_id: int):
    """The version when the signed-in person may read it; another organisation's is a 404."""
    version = services.get_version(version_id)
    if version is None or not services.can_view_version(_user(), version):
        abort(404)
    return version


def _organisation():
    """(the organisation whose curriculum the page shows - ``?org=``, else the person's own -,
    the organisations offered)."""
    from lms.plugins.needs import reach

    return reach.chosen(_user(), ids=services.viewable_ids(_user()))


def _index_of(version) -> str:
    """The curriculum page of ``version``'s organisation (``?org=`` only when it is not one's own)."""
    from lms.plugins.needs.reach import own_id

    mine = version.organisation_id == own_id(_user())
    return url_for("curriculum.index", **({} if mine else {"org": version.organisation_id}))


def _org_args(organisation, offered) -> dict:
    from lms.plugins.needs import reach

    return reach.org_args(organisation, offered)


def _groups(version) -> list[tuple[str, list]]:
    """Items grouped by audience: everyone first, then units, then positions."""
    groups: dict[tuple, list] = {}
    for item in version.items:
        key = (0, "") if item.audience == ALL else (
            (1, item.unit.name if item.unit else "") if item.audience == UNIT else (2, item.position_name or ""))
        groups.setdefault(key, []).append(item)
    return [(proposals.audience_label(items[0]), items) for _key, items in sorted(groups.items())]


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    user = _user()
    organisation, offered = _organisation()
    org_id = organisation.unit_id if organisation is not None else None
    active = services.in_force(org_id) if org_id is not None else None
    inherited = active if active is not None and active.organisation_id != org_id else None
    latest = services.latest_closed_round(org_id) if org_id is not None else None
    history = services.history(org_id)
    round_titles = {r.id: r.title for r in db.session.scalars(
        select(NeedsRound).where(NeedsRound.id.in_({v.round_id for v in history if v.round_id})))}
    return render_template("curriculum/index.html", active=active, groups=_groups(active) if active else [],
                           history=history, round_titles=round_titles, locale=_locale(),
                           draft=services.current_draft(org_id), latest_round=latest,
                           can_propose=services.can_manage(user, latest, org_id) if latest else False,
                           names=proposals.competency_names(_locale()), item_reason=proposals.item_reason,
                           module_title=services.module_title, form=TokenForm(), organisation=organisation,
                           organisations=offered, inherited=inherited, org_args=_org_args(organisation, offered))


def _render_version(version, *, status: int = 200, error: str | None = None, add_form=None):
    user = _user()
    locale = _locale()
    active = services.active_version(version.organisation_id)
    is_draft = version.status == DRAFT
    changes = proposals.diff(version, active, locale) if is_draft and version.id != (active.id if active else None) \
        else []
    if add_form is None:
        add_form = AddModuleForm()
        add_form.module_id.choices = _module_choices(locale)
    return render_template(
        "curriculum/version.html", version=version, active=active, groups=_groups(version), changes=changes,
        needs_round=db.session.get(NeedsRound, version.round_id) if version.round_id else None,
        is_draft=is_draft, can_manage=services.can_manage_version(user, version),
        stale=services.stale_reason(version) if is_draft else None, error=error,
        names=proposals.competency_names(locale), item_reason=proposals.item_reason,
        audience_label=proposals.audience_label, module_title=services.module_title,
        locale=locale, form=TokenForm(), item_form=ItemForm(), add_form=add_form), status


def _module_choices(locale: str) -> list[tuple[int, str]]:
    return [(module.id, f"{services.course_title(module.course, locale)} — {services.module_title(module, locale)}")
            for module in services.active_modules(shared_or(None))]  # one plan for the network: shared only


@bp.route("/<int:version_id>")
@roles_required(*VIEW_ROLES)
def version_detail(version_id: int):
    return _render_version(_version_or_404(version_id))


@bp.route("/propose", methods=["POST"])
@roles_required(*VIEW_ROLES)
def propose():
    form = TokenForm()
    if not form.validate_on_submit():
        abort(400)
    user = _user()
    organisation, offered = _organisation()
    if organisation is None:
        abort(404)
    latest = services.latest_closed_round(organisation.unit_id)
    if not services.can_manage(user, latest, organisation.unit_id):
        abort(403)
    back = url_for("curriculum.index", **_org_args(organisation, offered))
    if latest is None:
        flash(_("No needs round has closed yet: a curriculum is proposed from a closed round."),
              "error")
        return redirect(back)
    try:
        version = proposals.propose(latest, actor_id=user.id)
    except CurriculumError as error:
        flash(str(error.message), "error")
        return redirect(back)
    flash(_("Draft %(number)s was proposed from %(round)s.", number=version.number, round=latest.title), "success")
    return redirect(url_for("curriculum.version_detail", version_id=version.id))


def _managed_draft(version_id: int):
    version = _version_or_404(version_id)
    if not services.can_manage_version(_user(), version):
        abort(403)
    return version


@bp.route("/<int:version_id>/edit", methods=["POST"])
@roles_required(*VIEW_ROLES)
def edit(version_id: int):
    version = _managed_draft(version_id)
    form = ItemForm()
    if not form.validate_on_submit():
        return _render_version(version, status=400, error=_("The change could not be read. Nothing was changed."))
    user = _user()
    try:
        if form.action.data == "remove":
            services.remove_item(version, form.item_id.data, user)
        elif form.action.data in ("up", "down"):
            services.move_item(version, form.item_id.data, form.action.data, user)
        else:
            services.set_due(version, form.item_id.data, form.due_on.data, user)
    except CurriculumError as error:
        return _render_version(version, status=400, error=str(error.message))
    flash(_("The draft was changed."), "success")
    return redirect(url_for("curriculum.version_detail", version_id=version.id))


@bp.route("/<int:version_id>/add", methods=["POST"])
@roles_required(*VIEW_ROLES)
def add(version_id: int):
    version = _managed_draft(version_id)
    form = AddModuleForm()
    form.module_id.choices = _module_choices(_locale())
    if not form.validate_on_submit():
        return _render_version(version, status=400, add_form=form,
                               error=_("Choose an active module. Nothing was changed."))
    try:
        services.add_module(version, form.module_id.data, form.due_on.data, _user())
    except CurriculumError as error:
        return _render_version(version, status=400, add_form=form, error=str(error.message))
    flash(_("The module was added to the draft."), "success")
    return redirect(url_for("curriculum.version_detail", version_id=version.id))


@bp.route("/<int:version_id>/approve", methods=["POST"])
@roles_required(*VIEW_ROLES)
def approve(version_id: int):
    version = _managed_draft(version_id)
    if not TokenForm().validate_on_submit():
        abort(400)
    try:
        result = services.approve(version, _user())
    except CurriculumError as error:
        return _render_version(version, status=409, error=str(error.message))
    flash(_("Curriculum %(number)s is now active: %(count)s assignment(s) created.", number=version.number,
            count=result.assignments), "success")
    return redirect(_index_of(version))


@bp.route("/<int:version_id>/discard", methods=["POST"])
@roles_required(*VIEW_ROLES)
def discard(version_id: int):
    version = _managed_draft(version_id)
    if not TokenForm().validate_on_submit():
        abort(400)
    try:
        services.discard(version, _user())
    except CurriculumError as error:
        return _render_version(version, status=409, error=str(error.message))
    flash(_("The draft was discarded."), "success")
    return redirect(_index_of(version))


@bp.route("/content-gaps")
@roles_required(*VIEW_ROLES)
def content_gaps():
    organisation, offered = _organisation()
    needs_round, found = gaps.content_gaps(_locale(), organisation.unit_id if organisation is not None else None,
                                           _user())
    return render_template("curriculum/content_gaps.html", needs_round=needs_round, gaps=found,
                           threshold=services.threshold(), pass_rate_min=gaps.PASS_RATE_MIN,
                           feedback_min=gaps.FEEDBACK_MIN, organisation=organisation, organisations=offered)

