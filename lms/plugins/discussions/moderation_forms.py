"""Forms of the moderation actions. They carry the CSRF token and the raw fields; the rules
(a reason is required, at most 300 characters, ...) live in :mod:`moderation`, so a form
and a service call can never disagree about them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField

from lms.forms import BaseForm
from lms.plugins.discussions.moderation import REASON_MAX


class ReasonForm(BaseForm):
    """Hide a post, or report it: one reason."""

    reason = StringField(_l("Reason"), render_kw={"maxlength": REASON_MAX})


class ResolveForm(BaseForm):
    """A reported post in the queue: ``action`` is ``hide`` (with the reason) or ``dismiss``."""

    action = HiddenField()
    reason = StringField(_l("Reason shown in place of the post"), render_kw={"maxlength": REASON_MAX})


class ReturnForm(BaseForm):
    """Unhide: where to go afterwards (``queue`` or the thread)."""

    back = HiddenField()


class LockForm(BaseForm):
    """Lock (``locked=1``) or open (``locked=0``) a thread."""

    locked = HiddenField()
