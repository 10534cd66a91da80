"""Views and hooks stay thin: they parse a request (or relay a hook) and call a service, and
only services commit (docs/plugins.md, "Where things live"). A view that commits - or rolls
back to undo what it half did - holds domain logic that another caller (a CLI command,
another hook) would have to copy; a hook that commits ends its caller's transaction.

Every ``views.py``, ``*_views.py`` and ``hooks.py`` under ``lms/`` (core and plugins) is
parsed, and any call of ``commit`` or ``rollback`` on any object is named ``path:line``.
The one exception is the 500 page's rollback (``lms/core/views.py``), which is not control
flow but the error handler cleaning up a session the failure left unusable; it lives in
``lms.core.services.discard_failed_transaction`` so that this test needs no exception.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"commit", "rollback"}


def thin_modules() -> list[Path]:
    return sorted(path for path in (ROOT / "lms").rglob("*.py")
                  if path.name in ("views.py", "hooks.py") or path.name.endswith("_views.py"))


def forbidden_calls(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [f"{path.relative_to(root)}:{node.lineno}: {node.func.attr}()"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in FORBIDDEN]


def test_the_thin_modules_are_found():
    names = {str(path.relative_to(ROOT)) for path in thin_modules()}
    assert {"lms/plugins/needs/hooks.py", "lms/plugins/learning/assign_views.py", "lms/plugins/admin/views.py",
            "lms/core/views.py", "lms/plugins/discussions/board_views.py"} <= names
    assert len(names) >= 40


def test_no_view_or_hook_commits_or_rolls_back():
    found = [hit for path in thin_modules() for hit in forbidden_calls(path)]
    assert not found, ("views and hooks must leave commit/rollback to a service module "
                       f"({len(found)} found):\n" + "\n".join(found))


def test_the_check_sees_a_call_on_any_object(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("def f(session, db):\n    db.session.commit()\n    session.rollback()\n    return x.commit\n",
                      encoding="utf-8")
    assert forbidden_calls(sample, tmp_path) == ["views.py:2: commit()", "views.py:3: rollback()"]
