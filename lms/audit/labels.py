"""Display names for audit actions and the kinds of thing they touch.

The codes (``user.created``, ``external_training``) stay English in the data, where they are
stable keys for filters and exports; the page shows these names in the reader's language.
A code without a name here (a new action, an outside plugin's) is shown as it is.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from lms.i18n import EMPTY, number

ACTION_LABELS = {
    "user.created": _l("Account created"),
    "user.activated": _l("Account activated"),
    "user.deactivated": _l("Account deactivated"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.roles_changed": _l("Roles changed"),
    "user.unit_changed": _l("Unit changed"),
    "user.supervision_changed": _l("Supervised units changed"),
    "user.sessions_ended": _l("Sessions ended"),
    "unit.created": _l("Unit created"),
    "unit.moved": _l("Unit moved"),
    "organisation.created": _l("Library created"),
    "organisation.updated": _l("Library settings changed"),
    "organisation.logo_changed": _l("Library logo changed"),
    "organisation.logo_removed": _l("Library logo removed"),
    "unit.activated": _l("Unit activated"),
    "unit.deactivated": _l("Unit deactivated"),
    "module.published": _l("Module published"),
    "quiz.regraded": _l("Quiz regraded"),
    "learning.assigned": _l("Module assigned"),
    "learning.assignment_deleted": _l("Assignment removed"),
    "training_record.created": _l("Training record added"),
    "training_record.updated": _l("Training record changed"),
    "training_record.deleted": _l("Training record deleted"),
    "training_record.verified": _l("Training record verified"),
    "training_record.rejected": _l("Training record rejected"),
    "needs.round_created": _l("Survey round created"),
    "needs.round_updated": _l("Survey round changed"),
    "needs.surveys_imported": _l("Survey instruments imported"),
    "needs.patron_imported": _l("Patron survey imported"),
    "curriculum.proposed": _l("Curriculum proposed"),
    "curriculum.approved": _l("Curriculum approved"),
    "curriculum.discarded": _l("Curriculum draft discarded"),
    "curriculum.item_added": _l("Curriculum module added"),
    "curriculum.item_removed": _l("Curriculum module removed"),
    "curriculum.item_moved": _l("Curriculum module moved"),
    "curriculum.item_due_changed": _l("Curriculum due date changed"),
    "discussion.post_edited": _l("Post edited"),
    "discussion.post_deleted": _l("Post deleted"),
    "discussion.meeting_record_saved": _l("Meeting record saved"),
    "discussion_post.hidden": _l("Post hidden"),
    "discussion_post.unhidden": _l("Post shown again"),
    "discussion_post.reports_dismissed": _l("Reports on a post dismissed"),
    "discussion_thread.locked": _l("Thread locked"),
    "discussion_thread.unlocked": _l("Thread unlocked"),
    "discussions.board_created": _l("Board created"),
    "discussions.board_updated": _l("Board changed"),
    "discussions.board_archived": _l("Board archived"),
    "quiz.essay_graded": _l("Practical task graded"),
    "quiz.essay_regraded": _l("Practical task graded again"),
    "user.organisation_roles_changed": _l("Library roles changed"),
    "admin.refused": _l("Refused: beyond the administrator's libraries"),
}

TARGET_LABELS = {
    "user": _l("Account"),
    "unit": _l("Unit"),
    "module": _l("Module"),
    "assignment": _l("Assignment"),
    "external_training": _l("Training record"),
    "survey": _l("Survey"),
    "patron_import": _l("Patron survey import"),
    "curriculum_version": _l("Curriculum version"),
    "discussion_post": _l("Discussion post"),
    "discussion_thread": _l("Discussion thread"),
    "discussion_board": _l("Board"),
    "quiz_answer": _l("Quiz answer"),
}


def action_label(action: str):
    return ACTION_LABELS.get(action, action)


def target_label(target_type: str | None):
    return TARGET_LABELS.get(target_type or "", target_type or "")


def detail_text(value) -> str:
    """One value of an entry's details as the page shows it: numbers in the reader's
    figures, lists joined, nothing as a dash (the stored JSON is unchanged)."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(detail_text(item) for item in value) or EMPTY
    return str(value)
