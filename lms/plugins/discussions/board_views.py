"""(placeholder - being written)"""
from __future__ import annotations

from lms.plugins.discussions.views import bp  # noqa: F401
from lms.auth.access import authenticated


@bp.route("/")
@authenticated
def index():
    return "discussions"


def home_panels(user, role):
    return []
