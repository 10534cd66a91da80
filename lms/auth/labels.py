"""Translated display names for roles and unit kinds (codes stay English in the data)."""
from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "librarian": _l("Librarian"),
    "trainer": _l("Trainer"),
    "supervisor": _l("Supervisor"),
    "admin": _l("Administrator"),
}
KIND_LABELS = {"library": _l("Library"), "branch": _l("Branch"), "section": _l("Section")}


def role_label(role: str):
    return ROLE_LABELS.get(role, role)


def kind_label(kind: str):
    return KIND_LABELS.get(kind, kind)


# Roles held for one library (organisation_roles), as the user form names them.
ORGANISATION_ROLE_LABELS = {"admin": _l("Library admin"), "trainer": _l("Trainer in this library")}
