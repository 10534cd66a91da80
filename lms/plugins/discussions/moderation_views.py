"""Moderation pages and actions: hide / unhide a post, report a post, lock a thread, and the
moderators' queue of reported and recently hidden posts.

Every action looks its post or thread up through :mod:`access` first: one the user may not
see answers 404, so the existence of another board's posts never leaks. A refused action
changes nothing; forms with a reason are shown again with the message (status 400), button
actions return to where they came from with the message.
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.auth.access import authenticated, roles_required
from lms.auth.models import User
from lms.extensions import db
from lms.plugins.discussions import access, moderation, services
from lms.plugins.discussions.models import Post, PostReport, Thread
from lms.plugins.discussions.moderation_forms import LockForm, ReasonForm, ResolveForm, ReturnForm
from lms.plugins.discussions.views import bp

MODERATORS = access.MODERATOR_ROLES


def _user() -> User:
    return current_user._get_current_object()


def _post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not access.can_see_thread(_user(), post.thread):
        abort(404)
    return post


def _thread_or_404(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id)
    if thread is None or not access.can_see_thread(_user(), thread):
        abort(404)
    return thread


def _post_url(post: Post) -> str:
    return url_for("discussions.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}")


def _locale() -> str:
    return str(get_locale() or "id")


@bp.context_processor
def _moderation_context():
    """``moderation_state(thread)`` for the thread page's moderation partials: computed once
    per request and thread (two queries), however many posts include the partial."""
    def moderation_state(thread: Thread) -> moderation.ThreadModeration:
        cache = g.setdefault("discussion_moderation", {})
        if thread.id not in cache:
            cache[thread.id] = moderation.thread_moderation(_user(), thread)
        return cache[thread.id]

    return {"moderation_state": moderation_state, "reason_max": moderation.REASON_MAX}


def _reason_page(kind: str, post: Post, form: ReasonForm, problem: str | None):
    """The hide or report form on a page of its own, shown again after a refusal."""
    return render_template("discussions/moderation_form.html", kind=kind, post=post, form=form,
                           problem=problem), 400


@bp.route("/post/<int:post_id>/hide", methods=["POST"])
@roles_required(*MODERATORS)
def hide_post(post_id: int):
    post = _post_or_404(post_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _reason_page("hide", post, form, None)
    try:
        moderation.hide_post(_user(), post, form.reason.data)
    except services.PostingError as error:
        return _reason_page("hide", post, form, error.message)
    flash(_("The post is hidden. Its text stays on record and can be shown again."), "success")
    return redirect(_post_url(post))


@bp.route("/post/<int:post_id>/unhide", methods=["POST"])
@roles_required(*MODERATORS)
def unhide_post(post_id: int):
    post = _post_or_404(post_id)
    form = ReturnForm()
    back = url_for("discussions.moderation") if form.back.data == "queue" else _post_url(post)
    if not form.validate_on_submit():
        abort(400)
    try:
        moderation.unhide_post(_user(), post)
    except services.PostingError as error:
        flash(error.message, "error")
    else:
        flash(_("The post is shown again."), "success")
    return redirect(back)


@bp.route("/post/<int:post_id>/report", methods=["POST"])
@authenticated
def report_post(post_id: int):
    post = _post_or_404(post_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _reason_page("report", post, form, None)
    try:
        moderation.report_post(_user(), post, form.reason.data)
    except services.PostingError as error:
        return _reason_page("report", post, form, error.message)
    flash(_("Thank you. The moderators will look at this post."), "success")
    return redirect(_post_url(post))


@bp.route("/thread/<int:thread_id>/lock", methods=["POST"])
@roles_required(*MODERATORS)
def lock_thread(thread_id: int):
    thread = _thread_or_404(thread_id)
    form = LockForm()
    if not form.validate_on_submit() or form.locked.data not in ("0", "1"):
        abort(400)
    locked = form.locked.data == "1"
    try:
        moderation.lock_thread(_user(), thread, locked)
    except services.PostingError as error:
        flash(error.message, "error")
    else:
        flash(_("The thread is locked: nobody can reply or edit.") if locked
              else _("The thread is open for replies again."), "success")
    return redirect(url_for("discussions.thread", thread_id=thread.id))


def _queue_page(problem: tuple[int, str] | None = None, form: ResolveForm | None = None, status: int = 200):
    """The queue; ``problem`` is (report id, message) after a refused action on that group."""
    user = _user()
    return render_template("discussions/moderation.html",
                           reported=moderation.open_reports(user, _locale()),
                           hidden=moderation.recently_hidden(user, _locale()),
                           problem=problem, failed_form=form, token_form=ReturnForm()), status


@bp.route("/moderation", endpoint="moderation")
@roles_required(*MODERATORS)
def moderation_queue():
    return _queue_page()


@bp.route("/reports/<int:report_id>/resolve", methods=["POST"])
@roles_required(*MODERATORS)
def resolve_report(report_id: int):
    report = db.session.get(PostReport, report_id)
    if report is None or not access.can_see_thread(_user(), report.post.thread):
        abort(404)
    form = ResolveForm()
    if not form.validate_on_submit() or form.action.data not in ("hide", "dismiss"):
        return _queue_page((report.id, _("Choose to hide the post or to dismiss the reports.")), form, 400)
    hide = form.action.data == "hide"
    try:
        count = moderation.resolve_report(_user(), report, hide, form.reason.data or "")
    except services.PostingError as error:
        return _queue_page((report.id, error.message), form, 400)
    if hide:
        flash(_("The post is hidden and its reports are closed."), "success")
    else:
        flash(ngettext("%(num)d report dismissed; the post stays visible.",
                       "%(num)d reports dismissed; the post stays visible.", count), "success")
    return redirect(url_for("discussions.moderation"))
