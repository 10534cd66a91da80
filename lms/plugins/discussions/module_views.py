"""Module discussions and the posting pages: a module's questions (filters, pages, the ask
form), the thread page (module and board threads alike), reply, edit, delete, accept an
answer, resolve, and the trainers' unanswered questions; the panels on the module page and
on home pages. Thin views: the rules are in ``access``, the work in ``services``."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.auth.access import authenticated, roles_required
from lms.clock import aware, utcnow
from lms.extensions import db
from lms.http import int_arg
from lms.nav import HomePanel, task_panel
from lms.plugins.courses.models import Module
from lms.plugins.discussions import access, queries, services
from lms.plugins.discussions.forms import ActionForm, AskForm, EditPostForm, ReplyForm
from lms.plugins.discussions.models import Post, Thread
from lms.plugins.discussions.views import bp, error_status, with_retry_after

UNANSWERED_LIMIT = 300  # the trainer's list; older ones beyond this are rare and still counted
PANEL_ITEMS = 5


def _user():
    return current_user._get_current_object()


def _module_or_404(module_id: int) -> Module:
    module = db.session.get(Module, module_id)
    if module is None or module.current_version is None or not access.can_see_module(_user(), module.id):
        abort(404)
    return module


def _thread_or_404(thread_id: int) -> Thread:
    """The thread, or 404 when it does not exist *or* is on a board the user cannot see."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not access.can_see_thread(_user(), thread):
        abort(404)
    return thread


def _post_or_404(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not access.can_see_thread(_user(), post.thread):
        abort(404)
    return post


def _thread_url(thread: Thread, post_id: int | None = None) -> str:
    return url_for("discussions.thread", thread_id=thread.id, _anchor=f"post-{post_id}" if post_id else None)


# --- a module's discussion --------------------------------------------------------------------

@bp.route("/module/<int:module_id>/", methods=["GET", "POST"])
@authenticated
def module(module_id: int):
    module = _module_or_404(module_id)
    user = _user()
    form = AskForm()
    error = None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                thread = services.create_thread(user, title=form.title.data, body=form.body.data, module=module,
                                                kind=form.kind.data or "question")
            except services.PostingError as refused:
                error = refused
                target = getattr(form, refused.field, None) if refused.field else None
                if target is not None:
                    target.errors = [*target.errors, str(refused.message)]
                else:
                    form.form_errors.append(str(refused.message))
            else:
                flash(_("Your question was posted.") if thread.kind == "question"
                      else _("Your discussion was posted."), "success")
                return redirect(_thread_url(thread), 303)
    status = request.args.get("status", "all")
    if status not in queries.FILTERS:
        status = "all"
    page = queries.module_threads(user, module, status, int_arg("page", 1, min=1))
    html = render_template("discussions/module.html", module=module, course=module.course,
                           version=module.current_version, form=form, page=page, status=status,
                           counts=queries.thread_counts(user, module.id), max_chars=services.max_chars(),
                           is_moderator=access.is_moderator(user))
    if error is not None:
        return with_retry_after(make_response(html, error_status(error)), error)
    if request.method == "POST":
        return html, 400
    return html


# --- the thread page --------------------------------------------------------------------------

def _ordered_posts(thread: Thread) -> list[Post]:
    """The opening post, then the accepted answer (when visible), then the other replies."""
    posts = list(db.session.scalars(select(Post).where(Post.thread_id == thread.id)
                                    .options(selectinload(Post.author)).order_by(Post.id)))
    if not posts:
        return posts
    opening, replies = posts[0], posts[1:]
    accepted = next((post for post in replies if post.id == thread.accepted_post_id and post.visible), None)
    if accepted is None:
        return posts
    return [opening, accepted] + [post for post in replies if post is not accepted]


def _reply_refusal(user, thread: Thread) -> str | None:
    if access.can_reply(user, thread):
        return None
    if thread.locked_at is not None:
        return _("This thread is locked: no new replies can be posted.")
    return _("This board is archived: no new posts can be written.")


def render_thread(thread: Thread, form: ReplyForm | None = None, status: int = 200, error=None):
    """The thread page; also re-shown with the reply form's messages when a reply is refused."""
    user = _user()
    posts = _ordered_posts(thread)
    module = db.session.get(Module, thread.module_id) if thread.module_id is not None else None
    moderator = access.is_moderator(user)
    opening = posts[0] if posts else None
    html = render_template(
        "discussions/thread.html", thread=thread, posts=posts, now=utcnow(), module=module, board=thread.board,
        access=access, form=form or ReplyForm(), opening=opening, is_moderator=moderator,
        title_hidden=opening is not None and not opening.visible and not moderator,
        status=queries.status_of(thread), reply_refusal=_reply_refusal(user, thread),
        can_accept=access.can_answer(user, thread), can_resolve=access.can_resolve(user, thread),
        max_chars=services.max_chars())
    response = make_response(html, status)
    return with_retry_after(response, error) if error is not None else response


@bp.route("/thread/<int:thread_id>")
@authenticated
def thread(thread_id: int):
    return render_thread(_thread_or_404(thread_id))


@bp.route("/thread/<int:thread_id>/reply", methods=["POST"])
@authenticated
def reply(thread_id: int):
    thread = _thread_or_404(thread_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return render_thread(thread, form, 400)
    try:
        post = services.reply(_user(), thread, form.body.data)
    except services.PostingError as refused:
        form.body.errors = [*form.body.errors, str(refused.message)]
        return render_thread(db.session.get(Thread, thread_id), form, error_status(refused), refused)
    flash(_("Your reply was posted."), "success")
    return redirect(_thread_url(thread, post.id), 303)


# --- a post: edit, delete, accept -------------------------------------------------------------

@bp.route("/post/<int:post_id>/edit", methods=["GET", "POST"])
@authenticated
def edit_post(post_id: int):
    post = _post_or_404(post_id)
    user = _user()
    thread = post.thread
    is_first = post.id == services.first_post_id(thread)
    if not access.can_edit(user, post, utcnow()):
        return render_template("discussions/edit_post.html", post=post, thread=thread, form=None, is_first=is_first,
                               refused=services.refusal_to_edit(user, post), max_chars=services.max_chars()), 403
    form = EditPostForm(data={"title": thread.title, "body": post.body_md} if request.method == "GET" else None)
    error = None
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.edit_post(user, post, form.body.data, form.title.data if is_first else None)
        except services.PostingError as refused:
            target = getattr(form, refused.field, None) if refused.field else None
            (target.errors if target is not None else form.form_errors).append(str(refused.message))
            error = refused
        else:
            flash(_("Your post was changed."), "success")
            return redirect(_thread_url(thread, post.id), 303)
    status = error_status(error) if error is not None else 400 if request.method == "POST" else 200
    response = make_response(render_template("discussions/edit_post.html", post=post, thread=thread, form=form,
                                             is_first=is_first, refused=None, max_chars=services.max_chars()), status)
    return with_retry_after(response, error) if error is not None else response


def _post_action(post_id: int, action, done: str):
    """Run ``action(user, post)`` for a small POST form; either way back to the thread."""
    post = _post_or_404(post_id)
    thread = post.thread
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(_user(), post)
    except services.PostingError as refused:
        flash(str(refused.message), "error")
        return redirect(_thread_url(thread, post.id), 303)
    flash(done, "success")
    return redirect(_thread_url(thread, post.id), 303)


@bp.route("/post/<int:post_id>/delete", methods=["POST"])
@authenticated
def delete_post(post_id: int):
    return _post_action(post_id, services.delete_post, _("Your post was deleted."))


@bp.route("/post/<int:post_id>/accept", methods=["POST"])
@authenticated
def accept_answer(post_id: int):
    return _post_action(post_id, services.accept_answer, _("The answer was accepted and the question resolved."))


@bp.route("/thread/<int:thread_id>/resolve", methods=["POST"])
@authenticated
def resolve(thread_id: int):
    thread = _thread_or_404(thread_id)
    form = ActionForm()
    value = request.form.get("resolved", "")
    if not form.validate_on_submit() or value not in ("0", "1"):
        flash(_("The request was not understood. Please use the buttons on the page."), "error")
        return redirect(_thread_url(thread), 303)
    try:
        services.set_resolved(_user(), thread, value == "1")
    except services.PostingError as refused:
        flash(str(refused.message), "error")
        return redirect(_thread_url(thread), 303)
    flash(_("The question is marked resolved.") if value == "1" else _("The question is open again."), "success")
    return redirect(_thread_url(thread), 303)


# --- the trainers' unanswered questions -------------------------------------------------------

@bp.route("/unanswered")
@roles_required("trainer", "admin")
def unanswered():
    user = _user()
    mine = queries.trainer_module_ids(user)
    scope = request.args.get("scope", "")
    if scope not in ("mine", "all"):
        scope = "mine" if mine else "all"
    rows = queries.unanswered_questions(user, scope == "mine", limit=UNANSWERED_LIMIT)
    now = utcnow()
    waiting = {row.id: max(0, (now - aware(row.created_at)).days) for row in rows}
    return render_template("discussions/unanswered.html", rows=rows, scope=scope, has_modules=bool(mine),
                           waiting=waiting, limit=UNANSWERED_LIMIT)


# --- panels -----------------------------------------------------------------------------------

def module_panels(user, module) -> list[HomePanel]:
    """The discussion panel at the end of a module's page: counts, latest threads, ask."""
    if module.current_version is None:
        return []
    return [HomePanel("discussions/panels/module.html", order=60, key="module-discussions",
                      context={"module": module, "counts": queries.thread_counts(user, module.id),
                               "latest": queries.latest_module_threads(user, module.id, 3)})]


def home_panels(user, role) -> list[HomePanel]:
    """Trainers: the oldest unanswered questions in their modules (or all, without modules of
    their own). Librarians: their own questions, when they asked any."""
    if role == "trainer":
        mine = bool(queries.trainer_module_ids(user))
        rows = queries.unanswered_questions(user, mine)
        task = task_panel("discussions-unanswered", _l("Unanswered questions in your modules") if mine
                          else _l("Unanswered questions"), len(rows), url_for("discussions.unanswered"), order=1)
        return [task, HomePanel("discussions/panels/unanswered.html", order=15, key="discussions-unanswered",
                          context={"rows": rows[:PANEL_ITEMS], "total": len(rows), "mine": mine})]
    if role == "librarian":
        rows = queries.user_questions(user, PANEL_ITEMS)
        if rows:
            return [HomePanel("discussions/panels/my_questions.html", order=25, key="discussions-mine",
                              context={"rows": rows})]
    return []
