"""Plugins import each other only along their declared dependencies (issue 17 item 1).

A plugin ``p`` may import ``lms.plugins.q`` when ``q`` is in ``p``'s ``REQUIRES`` (anywhere),
or in its ``USES`` inside a function body (an optional plugin is imported only once the
plugin is known to be on). The core (``lms/`` outside ``lms/plugins/``) imports no plugin at
module level. Read from the source with ``ast``, so a module that is never imported in a test
run is still checked. General helpers live in the core (docs/architecture.md) for exactly
this reason: no plugin should need another just to ask what day it is.
"""
from __future__ import annotations

import ast
from pathlib import Path

from lms.pluginmanager import BUILTIN_PLUGINS, declarations

LMS = Path(__file__).resolve().parent.parent / "lms"
PLUGINS = LMS / "plugins"


def _module_name(path: Path, root: Path) -> list[str]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def _imported_modules(node: ast.AST, path: Path, root: Path) -> list[str]:
    """The absolute module names an import statement names (relative ones resolved)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        package = _module_name(path, root)
        if path.name != "__init__.py":
            package = package[:-1]
        base = package[: len(package) - (node.level - 1)]
        stem = ".".join(base + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    # `from lms.plugins import needs` names the plugin in the alias, not the module
    return [stem] + [f"{stem}.{alias.name}" for alias in node.names]


def _plugin_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 3 and parts[:2] == ["lms", "plugins"]:
        return parts[2]
    return None


def _imports(path: Path, root: Path = LMS):
    """(line, imported plugin, inside a function?) for every import of a plugin in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(node: ast.AST, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                named = {_plugin_of(m) for m in _imported_modules(child, path, root)} - {None}
                for plugin in sorted(named):
                    yield child.lineno, plugin, in_function
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from walk(child, inner)

    yield from walk(tree, False)


def violations() -> list[str]:
    found = []
    for path in sorted(PLUGINS.rglob("*.py")):
        relative = path.relative_to(PLUGINS)
        if len(relative.parts) < 2:
            continue  # lms/plugins/__init__.py
        plugin = relative.parts[0]
        requires, uses = declarations(BUILTIN_PLUGINS[plugin])
        for line, other, in_function in _imports(path):
            if other == plugin or other in requires or (other in uses and in_function):
                continue
            where = path.relative_to(LMS.parent)
            if other in uses:
                found.append(f"{where}:{line}: plugin {plugin} imports {other} at module level, "
                             f"which it only uses (import it inside a function)")
            else:
                found.append(f"{where}:{line}: plugin {plugin} imports {other}, which it does not declare")
    for path in sorted(LMS.rglob("*.py")):
        if PLUGINS in path.parents:
            continue
        for line, other, in_function in _imports(path):
            if not in_function:
                found.append(f"{path.relative_to(LMS.parent)}:{line}: the core imports plugin {other} "
                             f"at module level (the core must start without any plugin)")
    return found


def test_every_builtin_plugin_folder_is_registered():
    folders = {p.name for p in PLUGINS.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(BUILTIN_PLUGINS)


def test_plugins_import_each_other_only_along_their_declarations():
    found = violations()
    assert not found, f"{len(found)} undeclared import(s):\n" + "\n".join(found)


def test_the_checker_sees_every_form_of_import(tmp_path):
    """The walk is only worth something if it catches each spelling."""
    folder = tmp_path / "lms" / "plugins" / "quizzes"
    folder.mkdir(parents=True)
    source = (
        "import lms.plugins.needs.models\n"
        "from lms.plugins.learning import services\n"
        "from lms.plugins import records\n"
        "from ...plugins.reports import charts\n"
        "from ..discussions.models import Post\n"
        "from . import grading\n"
        "def f():\n"
        "    from lms.plugins.notifications import services\n"
    )
    path = folder / "services.py"
    path.write_text(source, encoding="utf-8")
    seen = list(_imports(path, tmp_path / "lms"))
    assert seen == [(1, "needs", False), (2, "learning", False), (3, "records", False),
                    (4, "reports", False), (5, "discussions", False), (6, "quizzes", False),
                    (8, "notifications", True)]


# General helpers and their one home in the core (docs/architecture.md, "Shared helpers").
HOMES = {
    **dict.fromkeys(["utcnow", "aware", "local_zone", "local_date", "local_today", "year_bounds"], "lms.clock"),
    "localized": "lms.i18n",
    **dict.fromkeys(["load_yaml", "ID_RE"], "lms.yamlfiles"),
    **dict.fromkeys(["render_markdown", "render_inline", "sanitise"], "lms.markdown_html"),
}


def test_shared_helpers_are_defined_once_and_imported_from_their_home():
    """One definition each, and nobody imports them through another module (a re-export
    would quietly bring back the plugin-to-plugin import the move removed)."""
    root = LMS.parent
    found = []
    for folder in ("lms", "tests", "bench", "scripts"):
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            module = ".".join(_module_name(path, LMS)) if folder == "lms" else None
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in HOMES \
                        and module != HOMES[node.name] and node.col_offset == 0 and folder == "lms":
                    found.append(f"{path.relative_to(root)}:{node.lineno}: {node.name} defined again "
                                 f"(it lives in {HOMES[node.name]})")
                if isinstance(node, ast.ImportFrom):
                    source = _imported_modules(node, path, root / "lms")[0] if folder == "lms" else node.module
                    for alias in node.names:
                        if alias.name in HOMES and source != HOMES[alias.name]:
                            found.append(f"{path.relative_to(root)}:{node.lineno}: {alias.name} imported from "
                                         f"{source}, not from {HOMES[alias.name]}")
    assert not found, "\n".join(found)
