"""Item analysis pages: which quiz questions are too easy, too hard or fail to separate
stronger from weaker attempts. Aggregates only, never a learner's name."""
from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from lms.auth.access import roles_required
from lms.auth.scoping import supervised_unit_ids
from lms.exports import csv_response, xlsx_response
from lms.extensions import db
from lms.plugins.courses.models import ModuleVersion
from lms.plugins.courses.services import may_see
from lms.plugins.quizzes import item_analysis as analysis
from lms.plugins.quizzes.services import registry

bp = Blueprint("quiz_items", __name__, url_prefix="/quiz/items")


def _scope():
    """Trainers and admins count every attempt; a supervisor only their units' learners."""
    if current_user.has_role("trainer", "admin"):
        return None
    return supervised_unit_ids(current_user)


def _version(module_version_id: int) -> ModuleVersion:
    """The version, unless it is missing or of a course private to another library (404)."""
    found = db.session.get(ModuleVersion, module_version_id)
    if found is None or not may_see(current_user, found.module.course):
        abort(404)
    return found


@bp.route("/")
@roles_required("trainer", "supervisor", "admin")
def index():
    return render_template("quizzes/items/index.html", modules=analysis.quiz_modules(_scope(), viewer=current_user._get_current_object()),
                           scoped=_scope() is not None)


@bp.route("/<int:module_version_id>")
@roles_required("trainer", "supervisor", "admin")
def version(module_version_id: int):
    found = _version(module_version_id)
    scope = _scope()
    result = analysis.item_analysis(module_version_id, scope)
    siblings = [v for row in analysis.quiz_modules(scope, found.module_id) for v in row.versions]
    return render_template("quizzes/items/version.html", result=result, module=found.module,
                           course=found.module.course, siblings=siblings, types=registry(),
                           scoped=scope is not None, thresholds=analysis,
                           table=analysis.items_table(result, registry()))


def _export_table(module_version_id: int):
    _version(module_version_id)
    return analysis.items_table(analysis.item_analysis(module_version_id, _scope()), registry())


def _filename(module_version_id: int, extension: str) -> str:
    return f"pembina-item-analysis-{module_version_id}.{extension}"


@bp.route("/<int:module_version_id>/export.csv")
@roles_required("trainer", "supervisor", "admin")
def export_csv(module_version_id: int):
    return csv_response(_export_table(module_version_id), _filename(module_version_id, "csv"))


@bp.route("/<int:module_version_id>/export.xlsx")
@roles_required("trainer", "supervisor", "admin")
def export_xlsx(module_version_id: int):
    return xlsx_response([_export_table(module_version_id)], _filename(module_version_id, "xlsx"))
