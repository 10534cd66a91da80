"""Forms of the posting pages. They carry the CSRF token and the fields; the limits (empty,
size, title length) are checked by :mod:`lms.plugins.discussions.services`, so a post is
refused with the same message whichever page sent it."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from lms.forms import BaseForm

KIND_CHOICES = [SelectChoice("question", _l("A question (someone can answer it)")),
                SelectChoice("discussion", _l("A discussion (share an experience or an idea)"))]


class AskForm(BaseForm):
    """A new thread under a module."""

    kind = RadioField(_l("What is it?"), choices=KIND_CHOICES, default="question", validate_choice=False)
    title = StringField(_l("Title"), render_kw={"maxlength": 200, "autocomplete": "off"})
    body = TextAreaField(_l("Your question or message"), render_kw={"rows": 6})


class ReplyForm(BaseForm):
    body = TextAreaField(_l("Your reply"), render_kw={"rows": 5})


class EditPostForm(BaseForm):
    """``title`` is shown for a thread's first post only."""

    title = StringField(_l("Title"), render_kw={"maxlength": 200, "autocomplete": "off"})
    body = TextAreaField(_l("Text"), render_kw={"rows": 8})


class ActionForm(BaseForm):
    """Only the CSRF token: delete, accept, resolve (``resolved=1|0`` is read by the view)."""
