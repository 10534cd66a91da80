"""The mark-read form: only the CSRF token (ids come as repeated ``id`` fields)."""
from __future__ import annotations

from lms.forms import BaseForm


class MarkReadForm(BaseForm):
    pass
